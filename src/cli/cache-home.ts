import os from 'node:os';
import path from 'node:path';

/** `$XDG_CACHE_HOME/ctnr` (when absolute), else `~/.cache/ctnr`; undefined when there is no home to put it in. */
export function ctnrCacheDir(): string | undefined {
  const xdg = process.env.XDG_CACHE_HOME;
  try {
    return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'ctnr');
  } catch {
    return undefined;
  }
}
