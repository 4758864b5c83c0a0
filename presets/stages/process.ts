import type { Plugin } from '../../src/types.js';
import { argsPlugin } from '../../plugins/args.js';
import { ociVersionPlugin } from '../../plugins/oci-version.js';
import { argsRequiredPlugin } from '../../plugins/args-required.js';
import { capabilitiesPlugin, type CapabilitiesOptions } from '../../plugins/capabilities.js';
import { cwdPlugin } from '../../plugins/cwd.js';
import { envPlugin } from '../../plugins/env.js';
import { initPlugin, type InitOptions } from '../../plugins/init.js';
import { oomScoreAdjPlugin } from '../../plugins/oom-score-adj.js';
import { rlimitsPlugin } from '../../plugins/rlimits.js';
import { securityOptPlugin } from '../../plugins/security-opt.js';
import { terminalPlugin } from '../../plugins/terminal.js';
import { userPlugin } from '../../plugins/user.js';

export interface ProcessStageOptions {
  capabilities?: CapabilitiesOptions;
  init?: InitOptions;
}

/** The process stage's plugins as the default preset registers them. */
export function processPlugins(options: ProcessStageOptions = {}): Plugin[] {
  return [
    ociVersionPlugin(),
    argsPlugin(),
    initPlugin(options.init),
    envPlugin(),
    cwdPlugin(),
    terminalPlugin(),
    userPlugin(),
    capabilitiesPlugin(options.capabilities),
    rlimitsPlugin(),
    oomScoreAdjPlugin(),
    securityOptPlugin(),
    argsRequiredPlugin(),
  ];
}
