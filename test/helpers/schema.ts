import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { HAS_SHARED, IN_CI, SHARED } from './shared.js';

const require = createRequire(import.meta.url);
type Validate = ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null };
let validator: Validate | undefined;

function load(): Validate | undefined {
  if (validator) return validator;
  if (!HAS_SHARED) {
    if (IN_CI) throw new Error('runtime-spec schemas missing in CI');
    return undefined;
  }
  // runtime-spec schemas are draft-04; register every file by name so relative refs resolve (README there).
  const Ajv = require('ajv-draft-04');
  const ajv = new Ajv({ strict: false, allErrors: true });
  const dir = path.join(SHARED, 'reference/runtime-spec');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), f);
  }
  validator = ajv.getSchema('config-schema.json') as Validate;
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
