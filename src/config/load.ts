import { accessSync, constants as fsConstants, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { CtnrError, renderPath } from '../engine/errors.js';
import type { Preset } from '../engine/types.js';
import { configSchemas, type CtnrConfig } from './schema.js';
import { fastConfig } from './fast-config.js';
import { userModuleJiti, type CreateJiti } from './transpile-cache.js';
import { isDirectory } from '../linux/file-kind.js';

export interface LoadedConfig {
  config: CtnrConfig;
  /** Absolute path of the file, or undefined when none was found. */
  file?: string;
  /** Label for the root of the preset chain (`ctnr.config.ts`, or `defaults` with no file). */
  label: string;
}

const SEARCH_PLACES = [
  'package.json',
  'ctnr.config.ts',
  'ctnr.config.mts',
  'ctnr.config.js',
  'ctnr.config.mjs',
  'ctnr.config.json',
  'ctnr.config.yaml',
  'ctnr.config.yml',
];

/**
 * Find the config from `startDir` upward, as cosmiconfig's `project` search does (in each directory the search
 * places in order; a missing, empty or `undefined` config is skipped; the walk stops after the first directory
 * with a package.json or package.yaml), but with a directory listing per directory instead of a read per place,
 * and without loading cosmiconfig: most projects have no config, and cosmiconfig with its dependencies is a
 * good part of a cold start. A file that is there is loaded by cosmiconfig (`explorer.load`), with its loaders
 * and `$import`. `.ts`/`.mts` go through jiti, loaded only when such a file is found: it handles relative `.ts`
 * imports on Node 20 and never touches the TypeScript compiler (PACKAGES.md §2).
 */
export async function loadConfig(startDir: string, explicitFile?: string): Promise<LoadedConfig> {
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null = null;
  try {
    if (explicitFile) {
      refuseForeignPackageDirs(path.resolve(explicitFile));
      found = await (await explorer()).load(path.resolve(explicitFile));
    } else {
      for (const file of candidateFiles(path.resolve(startDir))) {
        refuseForeignConfig(file);
        refuseForeignPackageDirs(file);
        // cosmiconfig's search skips a place it cannot read (gone since the listing, a directory, no access). It
        // also skips a config whose own code fails with such an error (a policy file it reads is missing): ctnr
        // would then run without the config, its policy included. Only the file itself is skipped so here.
        if (!readableFile(file)) continue;
        found = await (await explorer()).load(file);
        if (found && !found.isEmpty) break;
        found = null;
      }
    }
  } catch (err) {
    if (err instanceof CtnrError && err.code === 'CONFIG_UNTRUSTED') throw err;
    const file = explicitFile ?? (err as { filepath?: string }).filepath ?? 'ctnr config';
    throw new CtnrError('CONFIG_INVALID', `cannot load: ${(err as Error).message.split('\n')[0]}`, {
      location: { file: path.basename(file) },
      cause: err,
    });
  }
  if (!found) return { config: {}, label: 'defaults' };
  const label = path.basename(found.filepath) === 'package.json' ? 'package.json#ctnr' : path.basename(found.filepath);
  const config = validateConfig(found.config ?? {}, label);
  return { config, file: found.filepath, label };
}

/**
 * A searched config may be this user's or root's; under `sudo`, also that of the user who ran it (`sudo ctnr up`
 * in your own checkout, as git trusts SUDO_UID's repositories). Only root can set SUDO_UID for a root process, so
 * it says who asked.
 */
function sudoUid(me: number): number | undefined {
  const given = process.env.SUDO_UID;
  return me === 0 && given && /^\d+$/.test(given) ? Number(given) : undefined;
}

/** A regular file this process may read (what cosmiconfig's search would not skip). */
function readableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A config found by searching upward runs as whoever runs ctnr (a code config is code; a data config names
 * preset packages and plugins to load), so it must be this user's or root's, and so must a symbolic link to it:
 * the search climbs out of the project (to `/tmp` for a project in `/tmp/app` without a package.json), and any local
 * user can leave a `ctnr.config.js` in a shared directory for root to run (as git refuses a repository another user
 * owns). A file named with `-c` is the user's choice and is not checked.
 */
function refuseForeignConfig(file: string): void {
  const owner = foreignOwner(file);
  if (owner === undefined) return;
  throw new CtnrError('CONFIG_UNTRUSTED', `found by the config search, ${owner}: ctnr does not load a config another user could have left where its search looks; name it with -c to use it, or give the project a package.json to stop the search below it`, {
    location: { file },
  });
}

/** Configs that are code: what they import is looked for in `node_modules` directories up the tree. */
const CODE_CONFIG = /\.(?:[cm]?js|[cm]?ts)$/;

/**
 * A code config runs the packages it imports from wherever node finds them: its directory's `node_modules`, then
 * every parent's, up to `/` (for what a nearer one lacks, a package's own imports included). One of those that
 * another user owns (`/tmp/node_modules` above a project in `/tmp`) could hold code for ctnr to run as you, so the
 * config is refused before it runs, named with -c or found, whether or not it imports a package today.
 */
function refuseForeignPackageDirs(file: string): void {
  if (!CODE_CONFIG.test(file)) return;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const modules = path.join(dir, 'node_modules');
    const owner = foreignOwner(modules);
    if (owner !== undefined) {
      throw new CtnrError('CONFIG_UNTRUSTED', `node looks for the packages this config imports in ${modules}, ${owner}: ctnr does not run a config whose imports another user could provide; remove that directory or move the project out from under it`, {
        location: { file },
      });
    }
    if (path.dirname(dir) === dir) return;
  }
}

/**
 * `owned by uid N, not by you (…) or root` when `file` or a link to it belongs to someone else than this user,
 * root (and under sudo the user who ran it); else undefined (also when it cannot be looked at).
 */
function foreignOwner(file: string): string | undefined {
  const me = process.geteuid?.();
  if (me === undefined) return undefined;
  let owners: number[];
  try {
    owners = [lstatSync(file).uid, statSync(file).uid];
  } catch {
    return undefined; // gone or unreadable: loading it says so
  }
  const sudoer = sudoUid(me);
  const foreign = owners.find((uid) => uid !== me && uid !== 0 && uid !== sudoer);
  if (foreign === undefined) return undefined;
  return `owned by uid ${foreign}, not by you (uid ${me}${sudoer === undefined ? '' : `, or uid ${sudoer} who ran sudo`}) or root`;
}

/**
 * The files cosmiconfig's search would load, in its order: each directory from `dir` up, its search places
 * that exist (a package.json only when it has a `ctnr` key), up to the first directory with a package file.
 */
function* candidateFiles(dir: string): Generator<string> {
  for (;;) {
    const names = directoryNames(dir);
    if (names) {
      for (const place of SEARCH_PLACES) {
        if (!names.has(place)) continue;
        const file = path.join(dir, place);
        if (place !== 'package.json' || packageJsonMayHaveConfig(file)) yield file;
      }
    }
    if (names ? names.has('package.json') || names.has('package.yaml') : hasPackageFile(dir)) return;
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** The entries of `dir`; undefined when it is not a directory, or cannot be listed (then each place is tried). */
function directoryNames(dir: string): Set<string> | undefined {
  try {
    return new Set(readdirSync(dir));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return new Set();
    if (code === 'EACCES' && isDirectory(dir)) return new Set([...SEARCH_PLACES, 'package.yaml'].filter((name) => exists(path.join(dir, name))));
    throw err;
  }
}

/**
 * A package.json object without a `ctnr` key is no config (cosmiconfig reads it and moves on); anything else
 * (unreadable, not JSON, not an object) is left to cosmiconfig, to load or to fail with its own error.
 */
function packageJsonMayHaveConfig(file: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return true;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return true;
  return (json as Record<string, unknown>).ctnr != null;
}

function hasPackageFile(dir: string): boolean {
  return exists(path.join(dir, 'package.json')) || exists(path.join(dir, 'package.yaml'));
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

type Explorer = ReturnType<typeof import('cosmiconfig').cosmiconfig>;
let explorerInstance: Explorer | undefined;

/** cosmiconfig with ctnr's loaders, loaded on first use (a config file was found, or named with -c). */
async function explorer(): Promise<Explorer> {
  if (explorerInstance) return explorerInstance;
  // cosmiconfig is CommonJS: node gives it named exports, the bundled CLI's lazy chunk only a default.
  const mod = (await import('cosmiconfig')) as typeof import('cosmiconfig') & { default?: typeof import('cosmiconfig') };
  const cosmiconfig = mod.cosmiconfig ?? mod.default!.cosmiconfig;
  const codeLoader = async (file: string) => (await importModule(file, true)) as unknown;
  const yamlLoader = async (_file: string, content: string) => {
    const { parse } = await import('yaml');
    return parse(content);
  };
  explorerInstance = cosmiconfig('ctnr', {
    searchStrategy: 'project',
    searchPlaces: SEARCH_PLACES,
    // Every code config goes through jiti: .ts needs it, and it works where `import()` does not.
    loaders: { '.ts': codeLoader, '.mts': codeLoader, '.js': codeLoader, '.mjs': codeLoader, '.cjs': codeLoader, '.yaml': yamlLoader, '.yml': yamlLoader },
    cache: false,
  });
  return explorerInstance;
}

/** The config as the schema normalises it; a common valid config is checked without zod (fast-config.ts). */
export function validateConfig(raw: unknown, label: string): CtnrConfig {
  const fast = fastConfig(raw);
  if (fast !== undefined) return fast;
  const parsed = configSchemas().configSchema.safeParse(raw);
  if (parsed.success) {
    // The presets themselves, not zod's copies: whether a preset is one shipped with ctnr (`defaultPreset()` in a
    // config) is a fact about the object (src/engine/reserved.ts), and a copy would lose it.
    const given = (raw as { presets?: CtnrConfig['presets'] }).presets;
    return (given === undefined ? parsed.data : { ...parsed.data, presets: given }) as CtnrConfig;
  }
  const flat = parsed.error.issues.map((i) => mostSpecific(i));
  const issues = flat.map((i) => `${label}: ${renderPath(i.path as Array<string | number>) || '(root)'}: ${i.message}`);
  const first = flat[0]!;
  throw new CtnrError('CONFIG_INVALID', first.message, {
    path: renderPath(first.path as Array<string | number>) || '(root)',
    location: { file: label },
    details: issues.slice(1),
  });
}

/**
 * Turn `presets: ['default', '@acme/ctnr-preset', {…}]` into preset objects. A string is a built-in preset
 * name or an npm package (resolved from the config's directory) whose default export is a preset or a
 * preset factory.
 */
export async function resolvePresetRefs(
  refs: ReadonlyArray<string | Preset>,
  fromDir: string,
  label: string,
  builtins: Record<string, () => Preset | Promise<Preset>>,
): Promise<Preset[]> {
  const out: Preset[] = [];
  for (const [i, ref] of refs.entries()) {
    if (typeof ref !== 'string') {
      out.push(ref);
      continue;
    }
    const builtin = builtins[ref] ?? builtins[ref.replace(/^ctnr:(preset-)?/, '')];
    if (builtin) {
      out.push(await builtin());
      continue;
    }
    let mod: { default?: unknown };
    try {
      const req = createRequire(path.join(fromDir, 'noop.js'));
      const resolved = req.resolve(ref);
      // node looks for packages up the tree (`/tmp/node_modules` for a project in /tmp that lacks one): the
      // package's entry must be as much the user's as a config found by the search.
      const owner = foreignOwner(resolved);
      if (owner !== undefined) {
        throw new CtnrError('CONFIG_UNTRUSTED', `preset package "${ref}" resolves to ${resolved}, ${owner}: ctnr does not run code another user could have left where node looks for packages; install the package in the project`, {
          path: `presets[${i}]`,
          location: { file: label },
        });
      }
      mod = (await importModule(resolved, false)) as { default?: unknown };
    } catch (err) {
      if (err instanceof CtnrError && err.code === 'CONFIG_UNTRUSTED') throw err;
      throw new CtnrError('CONFIG_INVALID', `preset "${ref}" is neither a built-in preset (${Object.keys(builtins).join(', ')}) nor an installed package: ${(err as Error).message.split('\n')[0]}`, {
        path: `presets[${i}]`,
        location: { file: label },
      });
    }
    let value: unknown = mod.default ?? mod;
    if (typeof value === 'function') value = (value as () => unknown)();
    const parsed = configSchemas().presetSchema.safeParse(value);
    if (!parsed.success) {
      throw new CtnrError('CONFIG_INVALID', `package "${ref}" does not export a preset: ${parsed.error.issues[0]!.message}`, {
        path: `presets[${i}]`,
        location: { file: label },
      });
    }
    out.push(value as Preset);
  }
  return out;
}

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };

/**
 * A union (`presets: [name | preset]`) fails as a whole with "Invalid input"; the branch that got furthest
 * into the value says what is actually wrong (`presets[0].plugins[2].stage: expected string`).
 */
function mostSpecific(issue: Issue, prefix: PropertyKey[] = []): Issue {
  const here = { ...issue, path: [...prefix, ...issue.path] };
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return here;
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    for (const inner of branch) {
      const candidate = mostSpecific(inner, here.path);
      if (!best || candidate.path.length > best.path.length) best = candidate;
    }
  }
  return best && best.path.length > here.path.length ? best : here;
}

let jitiInstance: { import(id: string, opts?: { default?: boolean }): Promise<unknown> } | undefined;
let hostModules: (() => Promise<Record<string, unknown>>) | undefined;

/**
 * Give configs, plugins and preset packages the running ctnr as `ctnr` and `ctnr/plugin` (jiti's virtual
 * modules), instead of whatever node_modules holds. The CLI does this: without it a `.ts` config that imports
 * `ctnr` loads a second, unbundled copy of the library (its own zod and yaml: about half a second), and its
 * `CtnrError` would not be the CLI's.
 */
export function provideHostModules(load: () => Promise<Record<string, unknown>>): void {
  hostModules = load;
  jitiInstance = undefined;
}

/**
 * Load a user module (config, plugin, preset package) with jiti: TypeScript with relative imports on Node 20,
 * ESM and CommonJS alike, never the TypeScript compiler. Loaded on first use only (~40 ms).
 */
export async function importModule(file: string, defaultExport: boolean): Promise<unknown> {
  if (!jitiInstance) {
    const { createJiti } = await import('jiti');
    const virtualModules = hostModules ? await hostModules() : undefined;
    jitiInstance = userModuleJiti(createJiti as unknown as CreateJiti, import.meta.url, virtualModules ? { virtualModules } : {});
  }
  return jitiInstance.import(file, defaultExport ? { default: true } : {});
}
