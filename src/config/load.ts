import path from 'node:path';
import { createRequire } from 'node:module';
import { CtnrError, renderPath } from '../engine/errors.js';
import type { Preset } from '../engine/types.js';
import { configSchema, presetSchema, type CtnrConfig } from './schema.js';

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
 * Find the config from `startDir` upward (cosmiconfig's `project` strategy: stops at the first directory
 * with a package.json). `.ts`/`.mts` go through jiti, loaded only when such a file is found: it handles
 * relative `.ts` imports on Node 20 and never touches the TypeScript compiler (PACKAGES.md §2).
 */
export async function loadConfig(startDir: string, explicitFile?: string): Promise<LoadedConfig> {
  // cosmiconfig is CommonJS: node gives it named exports, the bundled CLI's lazy chunk only a default.
  const mod = (await import('cosmiconfig')) as typeof import('cosmiconfig') & { default?: typeof import('cosmiconfig') };
  const cosmiconfig = mod.cosmiconfig ?? mod.default!.cosmiconfig;
  const codeLoader = async (file: string) => (await importModule(file, true)) as unknown;
  const yamlLoader = async (_file: string, content: string) => {
    const { parse } = await import('yaml');
    return parse(content);
  };
  const explorer = cosmiconfig('ctnr', {
    searchStrategy: 'project',
    searchPlaces: SEARCH_PLACES,
    // Every code config goes through jiti: .ts needs it, and it works where `import()` does not (the CLI's
    // startup snapshot has no dynamic-import callback).
    loaders: { '.ts': codeLoader, '.mts': codeLoader, '.js': codeLoader, '.mjs': codeLoader, '.cjs': codeLoader, '.yaml': yamlLoader, '.yml': yamlLoader },
    cache: false,
  });
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    found = explicitFile ? await explorer.load(path.resolve(explicitFile)) : await explorer.search(startDir);
  } catch (err) {
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

export function validateConfig(raw: unknown, label: string): CtnrConfig {
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data as CtnrConfig;
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
  builtins: Record<string, () => Preset>,
): Promise<Preset[]> {
  const out: Preset[] = [];
  for (const [i, ref] of refs.entries()) {
    if (typeof ref !== 'string') {
      out.push(ref);
      continue;
    }
    const builtin = builtins[ref] ?? builtins[ref.replace(/^ctnr:(preset-)?/, '')];
    if (builtin) {
      out.push(builtin());
      continue;
    }
    let mod: { default?: unknown };
    try {
      const req = createRequire(path.join(fromDir, 'noop.js'));
      const resolved = req.resolve(ref);
      mod = (await importModule(resolved, false)) as { default?: unknown };
    } catch (err) {
      throw new CtnrError('CONFIG_INVALID', `preset "${ref}" is neither a built-in preset (${Object.keys(builtins).join(', ')}) nor an installed package: ${(err as Error).message.split('\n')[0]}`, {
        path: `presets[${i}]`,
        location: { file: label },
      });
    }
    let value: unknown = mod.default ?? mod;
    if (typeof value === 'function') value = (value as () => unknown)();
    const parsed = presetSchema.safeParse(value);
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
    const { createJiti } = createRequire(import.meta.url)('jiti') as typeof import('jiti');
    const virtualModules = hostModules ? await hostModules() : undefined;
    jitiInstance = createJiti(import.meta.url, { moduleCache: false, fsCache: true, ...(virtualModules ? { virtualModules } : {}) });
  }
  return jitiInstance.import(file, defaultExport ? { default: true } : {});
}
