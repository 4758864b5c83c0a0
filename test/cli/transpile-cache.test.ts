import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';
import { expectValidSpec } from '../helpers/schema.js';

/**
 * A `.ts` config is transpiled by jiti. jiti's own cache is `$TMPDIR/jiti` for an installed CLI, a directory any
 * local user can make first; a file there whose trailer matches the source's hash is run as it is. Both binaries
 * keep their transpiled code in the user's own cache directory instead (src/config/transpile-cache.ts). Here a
 * directory of another user's stands for the attacker's `$TMPDIR/jiti`: jiti by itself runs what was planted there
 * (the control), ctnr and ctnr-runtime do not, and write nothing there.
 */
const root = process.getuid?.() === 0;
const SHIM = path.join(REPO, 'bin/ctnr-runtime.mjs');
const PODMAN = readFileSync(path.join(REPO, 'test/fixtures/runtime-shim/podman-config.json'), 'utf8');

describe.skipIf(!root)('transpiled configs are cached only where their user alone can write', () => {
  const tmp = tempRoot('transpile-cache');
  let evilTmp: string;
  let marker: string;
  beforeAll(() => {
    requireBuild();
    evilTmp = path.join(tmp.dir, 'tmp');
    mkdirSync(evilTmp, { mode: 0o777 });
    chmodSync(evilTmp, 0o777);
    marker = path.join(tmp.dir, 'planted-code-ran');
  });
  afterAll(() => tmp.cleanup());

  /** Let jiti fill `$TMPDIR/jiti` for `file` as it would for ctnr, then replace each entry's code, keeping its trailer. */
  function plant(file: string): string[] {
    const load = `require('jiti').createJiti(${JSON.stringify(path.join(tmp.dir, 'loader.js'))}, { moduleCache: false, fsCache: true }).import(${JSON.stringify(file)}, { default: true }).then(() => {}, (e) => { console.error(e); process.exit(1); })`;
    const first = spawnSync(process.execPath, ['-e', load], { cwd: REPO, env: { ...process.env, TMPDIR: evilTmp }, encoding: 'utf8' });
    expect(first.stderr).toBe('');
    const jitiDir = path.join(evilTmp, 'jiti');
    const names = readdirSync(jitiDir);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const entry = path.join(jitiDir, name);
      const trailer = readFileSync(entry, 'utf8').match(/ \/\* v[^*]+\*\/\n$/)![0];
      writeFileSync(entry, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); exports.default = {};${trailer}`);
    }
    // The control: jiti by itself now runs the planted code.
    rmSync(marker, { force: true });
    const again = spawnSync(process.execPath, ['-e', load], { cwd: REPO, env: { ...process.env, TMPDIR: evilTmp }, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    // Another user's directory, as the attacker's would be.
    spawnSync('chown', ['-R', '65534:65534', jitiDir]);
    return names.map((n) => `${n}:${readFileSync(path.join(jitiDir, n), 'utf8')}`);
  }

  function expectPrivateCache(cacheHome: string): void {
    const dir = path.join(cacheHome, 'ctnr', 'transpiled');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const entries = readdirSync(dir);
    expect(entries.length).toBeGreaterThan(0);
    for (const name of entries) expect(statSync(path.join(dir, name)).mode & 0o777).toBe(0o600);
  }

  it('ctnr spec: a ctnr.config.ts and its .ts plugin load from their sources, twice (the second from the cache)', () => {
    const dir = project(tmp.dir, 'cli', SIMPLE, {
      'ctnr.config.ts': "import { org } from './org.js';\nexport default { plugins: [org('acme')] };\n",
      'org.ts': "export const org = (name: string) => ({ name: 'acme:org', stage: 'process', apply: () => [{ op: 'add', path: '/process/env/-', value: `ORG=${name}` }] });\n",
    });
    const planted = plant(path.join(dir, 'ctnr.config.ts'));
    const cacheHome = path.join(tmp.dir, 'cache-cli');
    for (let run = 0; run < 2; run++) {
      const r = ctnr(dir, ['spec', 'web'], { TMPDIR: evilTmp, XDG_CACHE_HOME: cacheHome });
      expect(r.stderr).toBe('');
      expectValidSpec(JSON.parse(r.stdout));
      expect(JSON.parse(r.stdout).process.env).toContain('ORG=acme');
      expect(existsSync(marker)).toBe(false);
    }
    const jitiDir = path.join(evilTmp, 'jiti');
    expect(readdirSync(jitiDir).map((n) => `${n}:${readFileSync(path.join(jitiDir, n), 'utf8')}`)).toEqual(planted);
    expectPrivateCache(cacheHome);
  });

  it('ctnr-runtime create: a runtime.config.ts loads from its source', () => {
    rmSync(path.join(evilTmp, 'jiti'), { recursive: true, force: true });
    const dir = path.join(tmp.dir, 'shim');
    mkdirSync(path.join(dir, 'bundle'), { recursive: true });
    const cfg = path.join(dir, 'runtime.config.ts');
    writeFileSync(cfg, `const org: string = 'acme';
export default { runtime: '/bin/true', plugins: [{ name: 'acme:org', stage: 'process', anySpec: true, apply: () => [{ op: 'add', path: '/process/env/-', value: 'ORG=' + org }] }] };
`);
    plant(cfg);
    const cacheHome = path.join(tmp.dir, 'cache-shim');
    for (let run = 0; run < 2; run++) {
      writeFileSync(path.join(dir, 'bundle', 'config.json'), PODMAN);
      const r = spawnSync(SHIM, ['create', '--bundle', path.join(dir, 'bundle'), `transpile-${run}`], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, TMPDIR: evilTmp, XDG_CACHE_HOME: cacheHome, XDG_RUNTIME_DIR: path.join(dir, 'run'), CTNR_RUNTIME_CONFIG: cfg },
        timeout: 30_000,
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const written = JSON.parse(readFileSync(path.join(dir, 'bundle', 'config.json'), 'utf8'));
      expectValidSpec(written);
      expect(written.process.env).toContain('ORG=acme');
      expect(existsSync(marker)).toBe(false);
    }
    expectPrivateCache(cacheHome);
  });
});
