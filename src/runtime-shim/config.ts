import { validateConfig } from '../config/load.js';
import type { CtnrConfig } from '../config/schema.js';
import { asObject, checkRuntime, readRaw } from './read-config.js';

/**
 * The runtime config: the keys of `ctnr.config.*` (presets, plugins, stages, disable, policy, …) plus
 * `runtime`, the real runtime to hand over to. JSON and YAML are data; .mjs/.js/.ts are modules whose default
 * export is the config. Every error names the file (and the key path, and the line where there is one).
 */
export interface RuntimeConfig {
  /** Absolute path of the file. */
  file: string;
  config: CtnrConfig;
  /** `runtime`: `runc`, `crun` or a path. */
  runtime?: string;
}

/** Load and validate the whole config (create/run): the ctnr.config schema (zod) for everything but `runtime`. */
export async function loadRuntimeConfig(file: string): Promise<RuntimeConfig> {
  const { runtime, ...rest } = asObject(file, await readRaw(file));
  const name = checkRuntime(file, runtime);
  const config = validateConfig(rest, file);
  return { file, config, ...(name !== undefined ? { runtime: name } : {}) };
}
