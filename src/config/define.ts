import type { CtnrConfig } from './schema.js';

/** An identity helper: it exists for type inference in the user's editor (`ctnr.config.ts`). */
export function defineConfig(config: CtnrConfig): CtnrConfig {
  return config;
}
