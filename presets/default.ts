import { definePreset } from '../src/define.js';
import type { Preset } from '../src/types.js';
import { argsPlugin } from '../plugins/args.js';
import { argsRequiredPlugin } from '../plugins/args-required.js';
import { capabilitiesPlugin, type CapabilitiesOptions } from '../plugins/capabilities.js';
import { cwdPlugin } from '../plugins/cwd.js';
import { envPlugin } from '../plugins/env.js';
import { oomScoreAdjPlugin } from '../plugins/oom-score-adj.js';
import { rlimitsPlugin } from '../plugins/rlimits.js';
import { securityOptPlugin } from '../plugins/security-opt.js';
import { terminalPlugin } from '../plugins/terminal.js';
import { userPlugin } from '../plugins/user.js';

/** The nine stages, in the order every preset builds on. */
export const DEFAULT_STAGES = [
  'process', 'rootless', 'mounts', 'privileged', 'cgroups', 'annotations', 'seccomp', 'network', 'hooks',
] as const;

export interface DefaultPresetOptions {
  capabilities?: CapabilitiesOptions;
}

/** Docker-compatible defaults: the nine stages and ctnr's own plugins for each. */
export function defaultPreset(options: DefaultPresetOptions = {}): Preset {
  return definePreset({
    name: 'ctnr:preset-default',
    stages: [...DEFAULT_STAGES],
    plugins: [
      argsPlugin(),
      envPlugin(),
      cwdPlugin(),
      terminalPlugin(),
      userPlugin(),
      capabilitiesPlugin(options.capabilities),
      rlimitsPlugin(),
      oomScoreAdjPlugin(),
      securityOptPlugin(),
      argsRequiredPlugin(),
    ],
  });
}
