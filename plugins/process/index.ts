import type { Plugin } from '../../src/engine/types.js';
import { argsPlugin } from './args.js';
import { ociVersionPlugin } from './oci-version.js';
import { argsRequiredPlugin } from './args-required.js';
import { capabilitiesPlugin, type CapabilitiesOptions } from './capabilities.js';
import { cwdPlugin } from './cwd.js';
import { envPlugin } from './env.js';
import { initPlugin, type InitOptions } from './init.js';
import { oomScoreAdjPlugin } from './oom-score-adj.js';
import { rlimitsPlugin } from './rlimits.js';
import { securityOptPlugin } from './security-opt.js';
import { terminalPlugin } from './terminal.js';
import { userPlugin } from './user.js';

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
