import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { HAS_SHARED, IN_CI, REPO, SHARED } from './shared.js';

const require = createRequire(import.meta.url);
type Validate = ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null };

/**
 * The runtime-spec validator, made once per worker process and kept in this module (a lazy singleton).
 *
 * Compiling the schemas with ajv takes 0.3 s to 2 s of CPU, and a unit file that validates a spec would pay
 * it in every file (each file runs in its own worker unless `isolate: false`). So the first compile writes
 * ajv's standalone code to `node_modules/.cache/ctnr-test/runtime-spec-<hash>.cjs`, keyed by the schema
 * files, the ajv versions and the options; every later worker loads that file (a few ms). Written to a temp
 * name and renamed, so workers starting together never read half a file; a stale or broken cache file is
 * compiled over.
 */
let validator: Validate | undefined;

/** Bump when the way the validator is built changes (options, standalone settings). */
const CACHE_FORMAT = 1;
const AJV_OPTIONS = { strict: false, allErrors: true } as const;
export const SCHEMA_CACHE_DIR = path.join(REPO, 'node_modules/.cache/ctnr-test');

function schemaFiles(dir: string): Array<[string, string]> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]);
}

function cacheKey(files: Array<[string, string]>): string {
  const hash = createHash('sha256');
  const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;
  hash.update(JSON.stringify([CACHE_FORMAT, AJV_OPTIONS, version('ajv'), version('ajv-draft-04')]));
  for (const [name, text] of files) hash.update(`\0${name}\0${text}`);
  return hash.digest('hex').slice(0, 16);
}

/** Compile the schemas (draft-04: every file registered by name so relative refs resolve) and cache the code. */
function compile(files: Array<[string, string]>, cacheFile: string): Validate {
  const Ajv = require('ajv-draft-04');
  const standaloneCode = require('ajv/dist/standalone').default as (ajv: unknown, validate: unknown) => string;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  for (const [name, text] of files) ajv.addSchema(JSON.parse(text), name);
  const validate = ajv.getSchema('config-schema.json') as Validate;
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(tmp, standaloneCode(ajv, validate));
    renameSync(tmp, cacheFile);
  } catch {
    rmSync(tmp, { force: true }); // a read-only checkout: the validator still works, uncached
  }
  return validate;
}

function load(): Validate | undefined {
  if (validator) return validator;
  if (!HAS_SHARED) {
    if (IN_CI) throw new Error('runtime-spec schemas missing in CI');
    return undefined;
  }
  const files = schemaFiles(path.join(SHARED, 'reference/runtime-spec'));
  const cacheFile = path.join(SCHEMA_CACHE_DIR, `runtime-spec-${cacheKey(files)}.cjs`);
  try {
    const mod = require(cacheFile) as Validate & { default?: Validate };
    validator = typeof mod.default === 'function' ? mod.default : mod;
  } catch {
    validator = compile(files, cacheFile);
  }
  return validator;
}

/** Assert that a spec validates against the OCI runtime-spec schema (skipped only without ../shared). */
export function expectValidSpec(spec: unknown): void {
  const validate = load();
  if (!validate) return;
  const ok = validate(JSON.parse(JSON.stringify(spec)));
  const errors = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  expect(errors, 'runtime-spec schema errors').toEqual([]);
  expect(ok).toBe(true);
}
