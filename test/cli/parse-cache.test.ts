import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctnr, project, requireBuild, tempRoot } from './hardening-cli.js';

/** Thirty services and `web`. */
const services = (web: string) =>
  `services:\n${Array.from({ length: 30 }, (_, i) => `  svc-${i}:\n    command: ["sleep", "${i}"]\n    environment:\n      N: "\${N:-${i}}"\n`).join('')}  web:\n${web}`;

describe('ctnr keeps parsed compose files between runs ($XDG_CACHE_HOME/ctnr/compose)', () => {
  const root = tempRoot('parse-cache-cli');
  beforeAll(() => requireBuild());
  afterAll(() => root.cleanup());
  const entries = (home: string) => (existsSync(path.join(home, 'ctnr/compose')) ? readdirSync(path.join(home, 'ctnr/compose')) : []);

  it('a second run reads the kept parse and prints the same spec; variables are still interpolated per run', () => {
    const dir = project(root.dir, 'same', services('    command: ["echo", "${GREETING:-hi}"]\n'));
    const env = { XDG_CACHE_HOME: path.join(root.dir, 'same-cache') };
    const first = ctnr(dir, ['spec', 'web', '--compact'], env);
    expect(first.status).toBe(0);
    expect(entries(env.XDG_CACHE_HOME)).toHaveLength(1);
    const second = ctnr(dir, ['spec', 'web', '--compact'], env);
    expect([second.status, second.stdout, second.stderr]).toEqual([0, first.stdout, first.stderr]);
    expect(JSON.parse(second.stdout).process.args).toEqual(['echo', 'hi']);
    const other = ctnr(dir, ['spec', 'web', '--compact'], { ...env, GREETING: 'hello' });
    expect(JSON.parse(other.stdout).process.args).toEqual(['echo', 'hello']);
    expect(entries(env.XDG_CACHE_HOME)).toHaveLength(1);
  });

  it('an error in a file read from the cache names the same file, line and column', () => {
    const dir = project(root.dir, 'error', services('    command: ["true"]\n    ports: ["80:x"]\n'));
    const env = { XDG_CACHE_HOME: path.join(root.dir, 'error-cache') };
    const first = ctnr(dir, ['spec', 'svc-1'], env);
    expect(first.status).toBe(0);
    expect(entries(env.XDG_CACHE_HOME)).toHaveLength(1);
    const fromCache = ctnr(dir, ['spec', 'web'], env);
    const parsed = ctnr(dir, ['spec', 'web'], { ...env, CTNR_NO_PARSE_CACHE: '1' });
    expect(fromCache.status).toBe(1);
    expect(fromCache.stderr).toMatch(/compose\.yaml:\d+:\d+/);
    expect([fromCache.status, fromCache.stderr]).toEqual([parsed.status, parsed.stderr]);
  });

  it('CTNR_NO_PARSE_CACHE=1 keeps nothing', () => {
    const dir = project(root.dir, 'off', services('    command: ["true"]\n'));
    const env = { XDG_CACHE_HOME: path.join(root.dir, 'off-cache'), CTNR_NO_PARSE_CACHE: '1' };
    expect(ctnr(dir, ['spec', 'web'], env).status).toBe(0);
    expect(entries(env.XDG_CACHE_HOME)).toEqual([]);
  });
});
