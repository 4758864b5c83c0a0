import type { Plugin } from '../../src/engine/types.js';
import { seccompPlugin } from './seccomp.js';
import { seccompCapsCheckPlugin } from './seccomp-caps-check.js';

/** The seccomp stage: the profile (derived from the final capabilities) and the check that keeps it so. */
export function seccompPlugins(): Plugin[] {
  return [seccompPlugin(), seccompCapsCheckPlugin()];
}
