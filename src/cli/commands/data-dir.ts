import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { createEnv } from '../../linux/env.js';

export interface DataDirOptions {
  dataDir?: string;
  rootless?: boolean;
  /** `-c FILE`; else the config found from the working directory upward. */
  config?: string;
}

/**
 * The data dir of a command run without a compose file (`pull`, `images`, `bundle list`, …): --data-dir, else the
 * config's `dataDir` (relative to the config file), else the default for root or rootless — where `bundle create`
 * and `up` in the same directory put what they make.
 */
export async function configuredDataDir(opts: DataDirOptions): Promise<{ dataDir: string; config: LoadedConfig }> {
  const config = await loadConfig(process.cwd(), opts.config);
  const configDir = config.file ? path.dirname(config.file) : process.cwd();
  const dataDir = opts.dataDir
    ? path.resolve(opts.dataDir)
    : config.config.dataDir
      ? path.resolve(configDir, config.config.dataDir)
      : createEnv(opts.rootless !== undefined ? { rootless: opts.rootless } : {}).dataDir;
  return { dataDir, config };
}
