import type { Preset } from '../src/engine/types.js';
import { defaultPreset } from './default.js';
import { podmanPreset } from './engines/podman.js';
import { dockerPreset } from './engines/docker-preset.js';
import { containerdPreset } from './engines/containerd.js';
import { rootlessPreset } from './rootless.js';
import { baselinePreset } from './baseline.js';
import { restrictedPreset } from './restricted.js';
import { imagesPreset } from './images.js';

/**
 * Presets a user can name as a string (`presets: ['default']`, `--preset restricted`). A name gives the
 * preset with its default options; call the factory in `ctnr.config.ts` to pass options.
 */
export const BUILTIN_PRESETS: Record<string, () => Preset> = {
  default: () => defaultPreset(),
  docker: () => dockerPreset(),
  podman: () => podmanPreset(),
  containerd: () => containerdPreset(),
  rootless: () => rootlessPreset(),
  baseline: () => baselinePreset(),
  restricted: () => restrictedPreset(),
  images: () => imagesPreset(),
};

export { defaultPreset, dockerPreset, podmanPreset, containerdPreset, rootlessPreset, baselinePreset, restrictedPreset, imagesPreset };
