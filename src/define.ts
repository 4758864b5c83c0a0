import type { Plugin, Preset } from './types.js';
import type { CtnrConfig } from './config/schema.js';

/** Identity helpers: they exist for type inference in the user's editor (`ctnr.config.ts`). */
export function definePlugin<Options = undefined>(plugin: Plugin<Options>): Plugin<Options> {
  return plugin;
}

export function definePreset(preset: Preset): Preset {
  return preset;
}

export function defineConfig(config: CtnrConfig): CtnrConfig {
  return config;
}
