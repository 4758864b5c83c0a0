import { shippedPreset } from '../src/engine/reserved.js';
import type { Preset } from '../src/engine/types.js';
import { processPlugins, type ProcessStageOptions } from '../plugins/process/index.js';
import { annotationsPlugins } from '../plugins/annotations/index.js';
import { networkPlugins } from '../plugins/network/index.js';
import { seccompPlugins } from '../plugins/seccomp/index.js';
import { rootlessPlugins } from '../plugins/rootless/index.js';
import { mountsPlugins } from '../plugins/mounts/index.js';
import { privilegedPlugins } from '../plugins/privileged/index.js';
import { hooksPlugins } from '../plugins/hooks/index.js';
import { cgroupsPlugins } from '../plugins/cgroups/index.js';

/** The nine stages, in the order every preset builds on. */
export const DEFAULT_STAGES = [
  'process', 'rootless', 'mounts', 'privileged', 'cgroups', 'annotations', 'seccomp', 'network', 'hooks',
] as const;

export interface DefaultPresetOptions extends ProcessStageOptions {}

/**
 * Docker-compatible defaults: the nine stages and ctnr's own plugins for each. Each stage's plugin list
 * lives in plugins/<stage>/index.ts.
 */
export function defaultPreset(options: DefaultPresetOptions = {}): Preset {
  return shippedPreset({
    name: 'ctnr:preset-default',
    stages: [...DEFAULT_STAGES],
    plugins: [
      ...processPlugins(options),
      ...rootlessPlugins(),
      ...mountsPlugins(),
      ...privilegedPlugins(),
      ...cgroupsPlugins(),
      ...annotationsPlugins(),
      ...seccompPlugins(),
      ...hooksPlugins(),
      ...networkPlugins(),
    ],
  });
}
