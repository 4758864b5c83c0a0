import path from 'node:path';
import { composeCache } from '../compose/parse-cache.js';
import type { ComposeCache } from '../compose/yaml.js';
import { ctnrCacheDir } from '../cache/home.js';

/** The hash of the running CLI bundle (src/cli.ts passes it to run()); unbundled there is none, and no cache. */
let build: string | undefined;

export function setCliBuild(hash: string | undefined): void {
  build = hash;
}

/**
 * The CLI's cache of parsed compose files, `<cache dir>/compose/` (src/compose/parse-cache.ts), or none:
 * unbundled, without a home directory, or with `CTNR_NO_PARSE_CACHE=1`.
 */
export function cliComposeCache(): ComposeCache | undefined {
  if (build === undefined || process.env.CTNR_NO_PARSE_CACHE) return undefined;
  const dir = ctnrCacheDir();
  return dir === undefined ? undefined : composeCache(path.join(dir, 'compose'), build);
}
