import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CtnrError, type ErrorCode } from './engine/errors.js';

/**
 * How node runs one of ctnr's helper programs (the rootless layer unpacker, the restart monitor) from wherever
 * the module asking (`callerUrl`, its import.meta.url) lives: a source checkout runs `<name>.ts` through jiti (tests;
 * node 20 has no TypeScript of its own), the tsc build has `<name>.js` beside the caller, and the CLI bundle has
 * `dist/<bundled>` (scripts/bundle-cli.mjs builds it). The node arguments, script last.
 */
export function helperEntry(callerUrl: string, name: string, bundled: string, code: ErrorCode): string[] {
  const here = fileURLToPath(callerUrl);
  const dir = path.dirname(here);
  if (here.endsWith('.ts')) {
    const jitiDir = path.dirname(createRequire(callerUrl).resolve('jiti/package.json'));
    return ['--import', pathToFileURL(path.join(jitiDir, 'lib/jiti-register.mjs')).href, path.join(dir, `${name}.ts`)];
  }
  const candidates = [path.join(dir, `${name}.js`), path.join(dir, bundled), path.join(dir, '..', bundled)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new CtnrError(code, `ctnr's helper ${name} is missing (looked for ${candidates.join(', ')}); rebuild with npm run build`);
  return [found];
}
