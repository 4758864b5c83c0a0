import { createRequire } from 'node:module';
import path from 'node:path';
import { ctnrCacheDir } from '../cache/home.js';
import { readOwnText, removeStale, textHash, writeOwnText } from '../cache/own-files.js';

/**
 * jiti for user modules (configs, their plugins, preset packages), with its transpile cache kept where only this
 * user can write.
 *
 * jiti's own cache (`fsCache: true`) is `node_modules/.cache/jiti` beside jiti or, for an installed CLI, `$TMPDIR/jiti`:
 * a directory any local user can create first, and a file there is used when it ends with a hash of the source
 * (which anyone who can read the config can compute). Code planted there ran as whoever ran ctnr: root, for
 * `ctnr up` and for every container ctnr-runtime creates. So jiti keeps no cache of its own here; its transform is
 * wrapped by one that keeps the result in ctnr's cache directory (src/cache/home.ts, `transpiled/`), private files
 * of this user's (src/cache/own-files.ts), each holding the file name, the options and the whole source it was
 * made from, and used only for exactly those. It needs no hash of the source (jiti's loaded node:crypto, several
 * milliseconds of every run with a `.ts` config).
 */

/** The parts of jiti's API used here (jiti's types are not imported: jiti is loaded only when a code config is). */
export interface TransformOptions {
  source: string;
  filename?: string;
  ts?: boolean;
  retainLines?: boolean;
  interopDefault?: boolean;
  async?: boolean;
  jsx?: unknown;
  babel?: Record<string, unknown>;
}
export interface JitiLike {
  import(id: string, opts?: { default?: boolean }): Promise<unknown>;
  transform(opts: TransformOptions): string;
}
export type CreateJiti = (from: string, options: Record<string, unknown>) => JitiLike;

const PREFIX = 'transpiled-';
const STALE_MS = 30 * 24 * 3600 * 1000;
const MAX_ENTRIES = 256;

interface Entry {
  filename: string;
  key: string;
  source: string;
  code: string;
}

/**
 * The jiti ctnr loads user modules with: `createJiti` is jiti's (each caller loads jiti its own way: the CLI from
 * its bundle, ctnr-runtime outside its startup snapshot), `from` the module resolving relative to.
 */
export function userModuleJiti(createJiti: CreateJiti, from: string, options: Record<string, unknown> = {}): JitiLike {
  const home = ctnrCacheDir();
  return jitiWithPrivateCache(createJiti, from, home === undefined ? undefined : path.join(home, 'transpiled'), jitiVersion(from), options);
}

/** The version of jiti built into the CLI's bundle (scripts/bundle-cli.mjs); elsewhere jiti is an installed package. */
declare const CTNR_BUNDLED_JITI_VERSION: string | undefined;

function jitiVersion(from: string): string {
  if (typeof CTNR_BUNDLED_JITI_VERSION === 'string') return CTNR_BUNDLED_JITI_VERSION;
  try {
    return String((createRequire(from)('jiti/package.json') as { version?: unknown }).version);
  } catch {
    return 'unknown';
  }
}

/**
 * A jiti that transpiles through `cacheDir` (none: no cache at all). `version` names the transform (jiti's
 * version): code from another version is not reused.
 */
export function jitiWithPrivateCache(createJiti: CreateJiti, from: string, cacheDir: string | undefined, version: string, options: Record<string, unknown> = {}): JitiLike {
  // The transform itself comes from a second jiti (same build, no cache): jiti.transform() runs the default one.
  const plain = createJiti(from, { moduleCache: false, fsCache: false });
  const transform = cachedTransform(cacheDir, version, (opts) => plain.transform(opts));
  return createJiti(from, { ...options, moduleCache: false, fsCache: false, transform });
}

/** `transform` with its results kept in `dir` (see above); what it cannot key exactly is transformed every time. */
export function cachedTransform(dir: string | undefined, version: string, transform: (opts: TransformOptions) => string): (opts: TransformOptions) => { code: string } {
  return (opts) => {
    const key = dir === undefined || !opts.filename ? undefined : optionsKey(version, opts);
    if (key === undefined) return { code: transform(opts) };
    const file = path.join(dir!, `${PREFIX}${textHash(`${opts.filename}\0${key}`)}.json`);
    const entry = readEntry(file);
    if (entry && entry.filename === opts.filename && entry.key === key && entry.source === opts.source) return { code: entry.code };
    const code = transform(opts);
    // jiti turns a syntax error into code that throws it when run: not kept, so a fixed file is transpiled again.
    if (!code.includes('__JITI_ERROR__')) {
      const stored: Entry = { filename: opts.filename!, key, source: opts.source, code };
      if (writeOwnText(dir!, file, JSON.stringify(stored))) removeStale(dir!, PREFIX, STALE_MS, MAX_ENTRIES);
    }
    return { code };
  };
}

/**
 * Everything but the source and file name that shapes the output, as a string; undefined when an option is not
 * plain data (a babel plugin given as a function: two different ones would look alike).
 */
function optionsKey(version: string, opts: TransformOptions): string | undefined {
  const { source: _source, filename: _filename, ...rest } = opts;
  if (!isPlainData(rest)) return undefined;
  return JSON.stringify([version, Object.keys(rest).sort().map((k) => [k, rest[k as keyof typeof rest]])]);
}

function isPlainData(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      if (depth > 8) return false;
      if (Array.isArray(value)) return value.every((v) => isPlainData(v, depth + 1));
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      return Object.values(value as Record<string, unknown>).every((v) => isPlainData(v, depth + 1));
    default:
      return false;
  }
}

function readEntry(file: string): Entry | undefined {
  const text = readOwnText(file);
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as Entry;
    return entry && typeof entry.code === 'string' && typeof entry.source === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}
