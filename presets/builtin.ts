import type { Preset } from '../src/engine/types.js';

/**
 * The presets a user can name as a string (`presets: ['default']`, `--preset restricted`), each loaded only when
 * named: the CLI would otherwise initialise every engine's and policy's preset (and their plugins and schemas) on
 * every run. The same names and factories as BUILTIN_PRESETS (presets/index.ts; a test holds them equal).
 */
export const BUILTIN_PRESET_LOADERS: Record<string, () => Promise<Preset>> = {
  default: async () => (await import('./default.js')).defaultPreset(),
  docker: async () => (await import('./engines/docker-preset.js')).dockerPreset(),
  podman: async () => (await import('./engines/podman.js')).podmanPreset(),
  containerd: async () => (await import('./engines/containerd.js')).containerdPreset(),
  rootless: async () => (await import('./rootless.js')).rootlessPreset(),
  baseline: async () => (await import('./baseline.js')).baselinePreset(),
  restricted: async () => (await import('./restricted.js')).restrictedPreset(),
  images: async () => (await import('./images.js')).imagesPreset(),
};
