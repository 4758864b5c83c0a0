import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { userModuleJiti, type CreateJiti } from '../config/transpile-cache.js';
import { importDynamic } from '../dynamic-import.js';
import { CtnrError, isCtnrError } from './errors.js';

/**
 * Reading a runtime config file into a plain value, and its `runtime` key. Kept apart from ./config.ts (which
 * validates the whole config with zod) because the commands ctnr-runtime only hands over need nothing but
 * `runtime`, and must not pay for loading zod and the config schema on every `state` or `kill`.
 */

/**
 * The raw value of the file: JSON and YAML as data; a module's default export (.mjs through Node's own import,
 * .js/.cjs/.ts/.mts through jiti like ctnr.config.ts). A default export that is a function is called with
 * ctnr-runtime's API (./api.ts) and its result is the config.
 */
export async function readRaw(file: string): Promise<unknown> {
  const ext = path.extname(file);
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CtnrError('CONFIG_INVALID', `cannot read: ${(err as Error).message}`, { location: { file }, cause: err });
    }
    return ext === '.json' ? await parseJson(file, text) : await parseYaml(file, text);
  }
  if (!['.mjs', '.js', '.cjs', '.ts', '.mts'].includes(ext)) {
    throw new CtnrError('CONFIG_INVALID', 'a runtime config is .json, .yaml, .mjs, .js or .ts', { location: { file } });
  }
  try {
    // jiti itself takes ~200 ms to load here: an .mjs file (plain ESM) does not need it.
    let value = ext === '.mjs' ? await importEsm(file) : await importDefault(file);
    if (typeof value === 'function') value = await (value as (api: unknown) => unknown)((await import('./api.js')).runtimeApi);
    return value;
  } catch (err) {
    if (isCtnrError(err)) throw err;
    throw new CtnrError('CONFIG_INVALID', `cannot load: ${(err as Error)?.message?.split('\n')[0] ?? String(err)}`, { location: { file }, cause: err });
  }
}

/**
 * An ES module's default export through require(esm) (Node ≥ 20.19): synchronous, and it works in the startup
 * snapshot, which has no dynamic import(). A module with top-level await needs import(): fine outside the snapshot.
 */
async function importEsm(file: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    mod = createRequire(file)(file) as { default?: unknown };
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    try {
      mod = (await importDynamic(pathToFileURL(file).href)) as { default?: unknown };
    } catch (inner) {
      if ((inner as { code?: string }).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw inner;
      throw new CtnrError('CONFIG_INVALID', 'uses top-level await, which ctnr-runtime cannot load from its startup snapshot: await inside the exported function instead', { location: { file } });
    }
  }
  return mod.default;
}

let jiti: { import(id: string, opts?: { default?: boolean }): Promise<unknown> } | undefined;

/** A config module's default export, through jiti as ctnr.config.ts (src/config/load.ts): TypeScript on Node 20. */
async function importDefault(file: string): Promise<unknown> {
  if (!jiti) {
    const { createJiti } = createRequire(import.meta.url)('jiti') as { createJiti: CreateJiti };
    jiti = userModuleJiti(createJiti, import.meta.url);
  }
  return jiti.import(file, { default: true });
}

async function parseJson(file: string, text: string): Promise<unknown> {
  try {
    return JSON.parse(text);
  } catch (err) {
    // Node 20 gives a position for some errors and quotes the text for others (`Unexpected token '}', "{…" is
    // not valid JSON`): the message up to the quote, and the line from the position, else from the YAML parser
    // (JSON is YAML), which points at the same place.
    const message = (err as Error).message.split('\n')[0]!.replace(/, ".*$/, '');
    const at = /at position (\d+)/.exec(message);
    const before = at ? text.slice(0, Number(at[1])) : undefined;
    const pos = before !== undefined
      ? { line: before.split('\n').length, col: before.length - before.lastIndexOf('\n') }
      : (await yamlParser())(text).errors[0]?.linePos?.[0];
    throw new CtnrError('CONFIG_INVALID', `not valid JSON: ${message}`, { location: { file, ...(pos ? { line: pos.line, col: pos.col } : {}) }, cause: err });
  }
}

/** yaml is CommonJS: node gives it named exports, a lazy chunk of the bundle only a default (as cosmiconfig in src/config/load.ts). */
async function yamlParser(): Promise<typeof import('yaml').parseDocument> {
  const mod = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') };
  return mod.parseDocument ?? mod.default!.parseDocument;
}

async function parseYaml(file: string, text: string): Promise<unknown> {
  const doc = (await yamlParser())(text, { merge: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw new CtnrError('CONFIG_INVALID', `not valid YAML: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, {
      location: { file, ...(pos ? { line: pos.line, col: pos.col } : {}) },
    });
  }
  return doc.toJS();
}

/** The config as an object (an empty file is an empty config). */
export function asObject(file: string, raw: unknown): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CtnrError('CONFIG_INVALID', `the config must be an object, not ${Array.isArray(raw) ? 'a list' : typeof raw}`, { location: { file } });
  }
  return raw as Record<string, unknown>;
}

/** `runtime`: absent, or a non-empty string (a name or a path). One string: checked by hand, without zod. */
export function checkRuntime(file: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new CtnrError('CONFIG_INVALID', 'names the real runtime: runc, crun or a path', { path: 'runtime', location: { file } });
}

/**
 * Only the `runtime` key, for the commands that just hand over (state, kill, delete, …). A config that does not
 * load is an error here too: which runtime it meant cannot be guessed, and the runtimes keep separate state.
 */
export async function readRuntimeName(file: string): Promise<string | undefined> {
  return checkRuntime(file, asObject(file, await readRaw(file)).runtime);
}
