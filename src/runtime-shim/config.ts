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
  return runtimeConfigOf(file, await readRaw(file));
}

/** Validate the raw value of `file` (what ./read-config.ts read from it). */
export function runtimeConfigOf(file: string, raw: unknown): RuntimeConfig {
  const { runtime, ...rest } = asObject(file, raw);
  const name = checkRuntime(file, runtime);
  const config = validateConfig(rest, file);
  return { file, config, ...(name !== undefined ? { runtime: name } : {}) };
}
