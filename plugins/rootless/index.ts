import type { Plugin } from '../../src/engine/types.js';
import { rootlessPlugin, type RootlessOptions } from './rootless.js';

/** The rootless stage: one plugin, active only when `env.rootless`. */
export function rootlessPlugins(options: RootlessOptions = {}): Plugin[] {
  return [rootlessPlugin(options)];
}
