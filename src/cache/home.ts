import path from 'node:path';

/**
 * ctnr's cache directory: `$XDG_CACHE_HOME/ctnr` (when absolute), else `~/.cache/ctnr`; undefined when there is no
 * home to put it in. The code cache (src/cli/code-cache.ts), the parse cache (src/cli/compose-cache.ts) and transpiled
 * TypeScript configs (src/config/transpile-cache.ts) live there.
 * node:os through process.getBuiltinModule, and only when needed: code-cache.ts runs in the ES module entry, where
 * importing a built-in builds its ES module facade.
 */
export function ctnrCacheDir(): string | undefined {
  const xdg = process.env.XDG_CACHE_HOME;
  try {
    return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(process.getBuiltinModule('node:os').homedir(), '.cache'), 'ctnr');
  } catch {
    return undefined;
  }
}
