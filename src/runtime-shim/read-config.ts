import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
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
    return ext === '.json' ? parseJson(file, text) : await parseYaml(file, text);
  }
  if (!['.mjs', '.js', '.cjs', '.ts', '.mts'].includes(ext)) {
    throw new CtnrError('CONFIG_INVALID', 'a runtime config is .json, .yaml, .mjs, .js or .ts', { location: { file } });
  }
  try {
    // jiti itself takes ~200 ms to load here: an .mjs file (plain ESM) does not need it.
    let value = ext === '.mjs' ? ((await import(pathToFileURL(file).href)) as { default?: unknown }).default : await importDefault(file);
    if (typeof value === 'function') value = await (value as (api: unknown) => unknown)((await import('./api.js')).runtimeApi);
    return value;
  } catch (err) {
    if (isCtnrError(err)) throw err;
    throw new CtnrError('CONFIG_INVALID', `cannot load: ${(err as Error)?.message?.split('\n')[0] ?? String(err)}`, { location: { file }, cause: err });
  }
}

let jiti: { import(id: string, opts?: { default?: boolean }): Promise<unknown> } | undefined;

/** A config module's default export, through jiti as ctnr.config.ts (src/config/load.ts): TypeScript on Node 20. */
async function importDefault(file: string): Promise<unknown> {
  if (!jiti) {
    const { createJiti } = createRequire(import.meta.url)('jiti') as typeof import('jiti');
    jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: true });
  }
  return jiti.import(file, { default: true });
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 says "… at position N": point at the line.
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const location: { file: string; line?: number; col?: number } = { file };
    if (at) {
      const before = text.slice(0, Number(at[1]));
      location.line = before.split('\n').length;
      location.col = before.length - before.lastIndexOf('\n');
    }
    throw new CtnrError('CONFIG_INVALID', `not valid JSON: ${message}`, { location, cause: err });
  }
}

async function parseYaml(file: string, text: string): Promise<unknown> {
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { merge: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw new CtnrError('CONFIG_INVALID', `not valid YAML: ${first.message.split('\n')[0]}`, {
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
