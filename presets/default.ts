import { definePreset } from '../src/define.js';
import type { Preset } from '../src/types.js';
import { processPlugins, type ProcessStageOptions } from './stages/process.js';
import { annotationsPlugins } from './stages/annotations.js';
import { networkPlugins } from './stages/network.js';
import { seccompPlugins } from './stages/seccomp.js';
import { rootlessPlugins } from './stages/rootless.js';
import { mountsPlugins } from './stages/mounts.js';
import { privilegedPlugins } from './stages/privileged.js';
import { hooksPlugins } from './stages/hooks.js';
import { cgroupsPlugins } from './stages/cgroups.js';

/** The nine stages, in the order every preset builds on. */
export const DEFAULT_STAGES = [
  'process', 'rootless', 'mounts', 'privileged', 'cgroups', 'annotations', 'seccomp', 'network', 'hooks',
] as const;

export interface DefaultPresetOptions extends ProcessStageOptions {}

/**
 * Docker-compatible defaults: the nine stages and ctnr's own plugins for each. Each stage's plugin list
 * lives in presets/stages/<stage>.ts.
 */
export function defaultPreset(options: DefaultPresetOptions = {}): Preset {
  return definePreset({
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
