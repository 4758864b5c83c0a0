import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/create-engine.js';
import { formatError } from '../../../src/engine/errors.js';
import { loadComposeFile, selectService } from '../../../src/compose/load.js';
import { lookup } from '../../../src/engine/patch.js';
import { defaultPreset } from '../../../presets/default.js';
import { TEST_ENV } from '../../helpers/engine.js';
import { REPO } from '../../helpers/shared.js';
import { expectValidSpec } from '../../helpers/schema.js';

/**
 * Fixture folders of the mounts and cgroups stages: `compose.yaml` (service `svc`), optional `env.json`
 * (environment overrides), and `expected.json` (JSON pointer → expected value; `null` = absent) or
 * `expected-error.txt` (the formatted error, verbatim). `<dir>` stands for the fixture's directory.
 */
const cases = ['mounts', 'cgroups'].flatMap((area) => {
  const root = path.join(REPO, 'test/fixtures', area);
  return existsSync(root) ? readdirSync(root).sort().map((name) => ({ name: `${area}/${name}`, dir: path.join(root, name) })) : [];
});

describe('mounts and cgroups fixtures', () => {
  it.each(cases)('$name', async ({ dir }) => {
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8').replaceAll('<dir>', dir);
    const env = existsSync(path.join(dir, 'env.json')) ? JSON.parse(read('env.json')) : {};
    let outcome: { spec?: unknown; error?: string };
    try {
      const project = loadComposeFile(undefined, { cwd: dir, environment: {} });
      const { input } = selectService(project, 'svc');
      const result = await createEngine({ presets: [defaultPreset()], strict: true }).run(input, { ...TEST_ENV, ...env });
      outcome = { spec: result.spec };
    } catch (err) {
      outcome = { error: formatError(err) };
    }
    if (existsSync(path.join(dir, 'expected-error.txt'))) {
      expect(outcome.error).toBe(read('expected-error.txt').trimEnd());
      return;
    }
    expect(outcome.error).toBeUndefined();
    expectValidSpec(outcome.spec);
    const expected = JSON.parse(read('expected.json')) as Record<string, unknown>;
    for (const [ptr, value] of Object.entries(expected)) {
      expect(lookup(outcome.spec, ptr) ?? null, ptr).toEqual(value);
    }
  });
});
