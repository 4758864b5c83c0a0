import type { Plugin } from '../../src/engine/types.js';
import { lifecyclePlugin } from './lifecycle.js';
import { networkHookPlugin, type NetworkHookOptions } from './network-hook.js';

export interface HooksStageOptions {
  networkHook?: NetworkHookOptions;
}

/** The hooks stage's plugins as the default preset registers them. */
export function hooksPlugins(options: HooksStageOptions = {}): Plugin[] {
  return [networkHookPlugin(options.networkHook), lifecyclePlugin()];
}
