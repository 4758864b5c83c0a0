import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitShellWords } from '../../src/compose/shellwords.js';
import { lookup } from '../../src/engine/patch.js';
import { REPO } from '../helpers/shared.js';
import { expectValidSpec } from '../helpers/schema.js';

/**
 * Each folder under test/fixtures/cli is one CLI invocation, run with the built CLI from inside the folder:
 *   args                      the arguments (shell words)
 *   expected-exit             exit code (default 0)
 *   expected-stdout           stdout, verbatim
 *   expected-stdout-contains  lines that must each appear in stdout
 *   expected-stderr           stderr, verbatim ({{DIR}} stands for the folder)
 *   expected-pointers.json    { pointer: value } checked in the JSON spec printed on stdout (schema-validated)
 */
const ROOT = path.join(REPO, 'test/fixtures/cli');
const CLI = path.join(REPO, 'bin/ctnr.mjs');
const cases = readdirSync(ROOT).filter((d) => existsSync(path.join(ROOT, d, 'args'))).sort();

const read = (dir: string, name: string) => {
  const f = path.join(dir, name);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
};

describe('CLI fixtures', () => {
  it('the built CLI exists (npm run build)', () => {
    expect(existsSync(path.join(REPO, 'dist/cli.mjs'))).toBe(true);
  });

  it.each(cases)('%s', (name) => {
    const dir = path.join(ROOT, name);
    const args = splitShellWords(read(dir, 'args')!.trim());
    const r = spawnSync(process.execPath, [CLI, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: withoutForceColor({ ...process.env, NO_COLOR: '1', CI: 'true' }),
    });
    const fill = (s: string) => s.replaceAll('{{DIR}}', dir);
    const stderr = read(dir, 'expected-stderr');
    if (stderr !== undefined) expect(r.stderr).toBe(fill(stderr));
    expect(r.status, r.stderr).toBe(Number(read(dir, 'expected-exit') ?? 0));
    const stdout = read(dir, 'expected-stdout');
    if (stdout !== undefined) expect(r.stdout).toBe(fill(stdout));
    for (const line of (read(dir, 'expected-stdout-contains') ?? '').split('\n').filter(Boolean)) {
      expect(r.stdout).toContain(fill(line));
    }
    const pointers = read(dir, 'expected-pointers.json');
    if (pointers !== undefined) {
      const spec = JSON.parse(r.stdout);
      expectValidSpec(spec);
      for (const [ptr, value] of Object.entries(JSON.parse(pointers) as Record<string, unknown>)) {
        expect(lookup(spec, ptr), ptr).toEqual(value);
      }
    }
  });
});

/** NO_COLOR, and no FORCE_COLOR at all: node warns on stderr when both are set (even to ''). */
function withoutForceColor(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.FORCE_COLOR;
  return out;
}
