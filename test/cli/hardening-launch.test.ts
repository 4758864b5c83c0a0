import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';
import { CLI, project, requireBuild, tempRoot } from './hardening-cli.js';

/**
 * The CLI gets its own argv however it is started (issue 16 item 9): Node 20 reads `--env-file FILE` anywhere
 * on its command line, so `node script --env-file missing` exits 9 with "node: missing: not found" before
 * the script runs. bin/ctnr.cjs (and its ES module twin bin/ctnr.mjs) is a shell/JS polyglot that restarts node
 * with `--` before the script path.
 * And a closed stdout pipe ends the CLI quietly (item 7).
 */
const root = tempRoot('launch');
beforeAll(requireBuild);
afterAll(() => root.cleanup());

const COMPOSE = 'services:\n  web:\n    command: ["echo", "${GREETING:-unset}"]\n';
const dir = project(root.dir, 'p', COMPOSE, { 'vars.env': 'GREETING=from-env-file\n' });
// An npm-style install: node_modules/ctnr → the repo, node_modules/.bin/ctnr → ../ctnr/bin/ctnr.cjs (package.json's bin).
mkdirSync(path.join(dir, 'node_modules/.bin'), { recursive: true });
symlinkSync(REPO, path.join(dir, 'node_modules/ctnr'));
symlinkSync('../ctnr/bin/ctnr.cjs', path.join(dir, 'node_modules/.bin/ctnr'));
writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true, dependencies: { ctnr: `file:${REPO}` } }));

const env = { ...process.env, NO_COLOR: '1', PATH: `${path.join(dir, 'node_modules/.bin')}:${process.env.PATH}` };
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

type Launch = (args: string[]) => { status: number | null; stdout: string; stderr: string };
const LAUNCHES: Array<[string, Launch]> = [
  ['bin/ctnr.cjs run as a program', (args) => spawnSync(CLI, args, { cwd: dir, env, encoding: 'utf8' })],
  ['bin/ctnr.mjs run as a program', (args) => spawnSync(path.join(REPO, 'bin/ctnr.mjs'), args, { cwd: dir, env, encoding: 'utf8' })],
  ['the npm bin link from a shell (`ctnr …`, npm scripts)', (args) => spawnSync('sh', ['-c', `ctnr ${args.map(quote).join(' ')}`], { cwd: dir, env, encoding: 'utf8' })],
  ['npx -- ctnr', (args) => spawnSync('npx', ['--offline', '--', 'ctnr', ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 })],
  ['node -- bin/ctnr.cjs', (args) => spawnSync(process.execPath, ['--', CLI, ...args], { cwd: dir, env, encoding: 'utf8' })],
];

describe.each(LAUNCHES)('%s', (_, launch) => {
  it('--env-file FILE reaches ctnr', () => {
    const r = launch(['spec', 'web', '--compact', '--env-file', 'vars.env']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).process.args).toEqual(['echo', 'from-env-file']);
  });

  it('a missing --env-file is ctnr\'s error (exit 1), not node\'s (exit 9)', () => {
    const r = launch(['spec', 'web', '--env-file=missing.env']);
    expect(r.stderr).toBe('error: missing.env: cannot read env file missing.env: ENOENT\n');
    expect(r.status).toBe(1);
  });
});

describe('started by node without `--` (node has read the arguments before ctnr runs)', () => {
  it.each([['bin/ctnr.cjs'], ['bin/ctnr.mjs'], ['dist/cli.cjs']])('node %s --env-file FILE still reaches ctnr untouched', (file) => {
    const r = spawnSync(process.execPath, [path.join(REPO, file), 'spec', 'web', '--compact', '--env-file', 'vars.env'], { cwd: dir, env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).process.args).toEqual(['echo', 'from-env-file']);
  });
});

describe('stdout closed early (`ctnr spec web | head -1`)', () => {
  it('exits quietly with status 0, no "Unhandled \'error\' event"', () => {
    // Big enough to overflow a pipe buffer, so the write after `head` exits fails with EPIPE.
    const environment = Array.from({ length: 5_000 }, (_, i) => `      V${i}: value-${i}`).join('\n');
    const big = project(root.dir, 'big', `services:\n  web:\n    command: ["true"]\n    environment:\n${environment}\n`);
    for (let i = 0; i < 3; i++) {
      const r = spawnSync('bash', ['-c', `${quote(process.execPath)} ${quote(CLI)} spec web | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`], { cwd: big, env, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('0\n');
    }
  });
});
