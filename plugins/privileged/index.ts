import type { Plugin } from '../../src/engine/types.js';
import { privilegedPlugin, type PrivilegedOptions } from './privileged.js';

/** The privileged stage: one plugin, after process, rootless and mounts, whose values it overrides. */
export function privilegedPlugins(options: PrivilegedOptions = {}): Plugin[] {
  return [privilegedPlugin(options)];
}
