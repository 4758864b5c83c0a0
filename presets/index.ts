import type { Preset } from '../src/types.js';
import { defaultPreset } from './default.js';

/** Presets a user can name as a string (`presets: ['default']`, `--preset default`). */
export const BUILTIN_PRESETS: Record<string, () => Preset> = {
  default: () => defaultPreset(),
};

export { defaultPreset };
