import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { expectValidSpec } from '../helpers/schema.js';
import { ctnr, project, requireBuild, tempRoot } from './hardening-cli.js';

/** Batch generation through the built CLI (issue 14, "Batch"): `spec --all -o DIR`, `bundle create --all`. */
const root = tempRoot('batch');
beforeAll(requireBuild);
afterAll(() => root.cleanup());

/** Three services that generate without an image (nothing is pulled), plus one behind a profile. */
const THREE = [
  'services:',
  '  web:',
  '    command: ["httpd", "-f"]',
  '    environment: [MODE=web]',
  '  worker:',
  '    command: ["sleep", "100"]',
  '    working_dir: /tmp',
  '  cache:',
  '    command: ["cat"]',
  '    user: "1000:1000"',
  '  debug:',
  '    command: ["sh"]',
  '    profiles: [debug]',
  '',
].join('\n');

/** The same with `worker` broken (line 7 of the file). */
const BROKEN = THREE.replace('    working_dir: /tmp', '    cpus: lots');

const ROOT = ['--no-rootless'];

function outDir(dir: string, name = 'out'): string {
  const out = path.join(dir, name);
  mkdirSync(out, { recursive: true });
  return out;
}

describe('ctnr spec --all -o DIR', () => {
  const dir = project(root.dir, 'three', THREE);

  it('writes one <service>.json per active service, each equal to `ctnr spec NAME`', () => {
    const out = outDir(dir);
    const r = ctnr(dir, ['spec', '--all', '-o', 'out', ...ROOT]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(['out/web.json', 'out/worker.json', 'out/cache.json', ''].join('\n'));
    expect(readdirSync(out).sort()).toEqual(['cache.json', 'web.json', 'worker.json']);
    for (const name of ['web', 'worker', 'cache']) {
      const single = ctnr(dir, ['spec', name, ...ROOT]);
      expect(single.status, single.stderr).toBe(0);
      const written = readFileSync(path.join(out, `${name}.json`), 'utf8');
      expect(written).toBe(single.stdout);
      expectValidSpec(JSON.parse(written));
    }
  });

  it('--compact is honoured', () => {
    const out = outDir(dir, 'compact');
    const r = ctnr(dir, ['spec', '--all', '--compact', '-o', out, ...ROOT]);
    expect(r.status, r.stderr).toBe(0);
    const single = ctnr(dir, ['spec', 'cache', '--compact', ...ROOT]);
    expect(readFileSync(path.join(out, 'cache.json'), 'utf8')).toBe(single.stdout);
    expect(single.stdout.trimEnd()).not.toContain('\n');
  });

  it('--profile adds the services of that profile', () => {
    const out = outDir(dir, 'profile');
    const r = ctnr(dir, ['spec', '--all', '--profile', 'debug', '-o', out, ...ROOT]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['cache.json', 'debug.json', 'web.json', 'worker.json']);
    expectValidSpec(JSON.parse(readFileSync(path.join(out, 'debug.json'), 'utf8')));
  });

  it('service names select: only those are written (a profiled one too, as `ctnr spec debug` would)', () => {
    const out = outDir(dir, 'named');
    const r = ctnr(dir, ['spec', 'worker', 'debug', '-o', out, ...ROOT]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${path.join(out, 'worker.json')}\n${path.join(out, 'debug.json')}\n`);
    expect(readdirSync(out).sort()).toEqual(['debug.json', 'worker.json']);
    expect(readFileSync(path.join(out, 'worker.json'), 'utf8')).toBe(ctnr(dir, ['spec', 'worker', ...ROOT]).stdout);
  });

  it('an unknown service name: an error with a hint, nothing written', () => {
    const out = outDir(dir, 'unknown');
    const r = ctnr(dir, ['spec', 'web', 'workr', '-o', out, ...ROOT]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no service "workr"');
    expect(r.stderr).toContain('did you mean "worker"');
    expect(readdirSync(out)).toEqual([]);
  });

  it('a bad service among good ones: the good files are written, the bad one named with its location, exit 1', () => {
    const bad = project(root.dir, 'broken', BROKEN);
    const out = outDir(bad);
    const r = ctnr(bad, ['spec', '--all', '-o', 'out', ...ROOT]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('out/web.json\nout/cache.json\n');
    expect(readdirSync(out).sort()).toEqual(['cache.json', 'web.json']);
    expect(r.stderr).toContain('error: service worker: compose.yaml:7:5 services.worker.cpus: "lots" is not a number');
    expect(r.stderr).toContain('1 of 3 service(s) failed');
  });

  it('a file that cannot be written fails that service only, leaving nothing behind', () => {
    const out = outDir(dir, 'blocked');
    mkdirSync(path.join(out, 'web.json'));
    const r = ctnr(dir, ['spec', '--all', '-o', out, ...ROOT]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: service web: cannot write ${path.join(out, 'web.json')}: it is a directory (EISDIR)`);
    expect(readdirSync(out).sort()).toEqual(['cache.json', 'web.json', 'worker.json']);
    expect(readdirSync(path.join(out, 'web.json'))).toEqual([]);
  });

  it.each([
    ['--all without -o', ['spec', '--all'], 'needs -o DIR'],
    ['several services without -o', ['spec', 'web', 'cache'], 'needs -o DIR'],
    ['-o a missing directory (never created)', ['spec', '--all', '-o', 'nope'], '-o nope: not an existing directory'],
    ['-o a file', ['spec', '--all', '-o', 'compose.yaml'], '-o compose.yaml: not an existing directory'],
    ['--all with service names', ['spec', '--all', 'web', '-o', '.'], '--all and service names exclude each other'],
    ['--report with several services', ['spec', '--all', '-o', '.', '--report', 'r.json'], '--report takes one service'],
  ])('%s: a usage error, exit 2', (_, args, message) => {
    const r = ctnr(dir, [...args, ...ROOT]);
    expect(r.stderr).toContain(message);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(existsSync(path.join(dir, 'nope'))).toBe(false);
    expect(existsSync(path.join(dir, 'r.json'))).toBe(false);
  });

  it('`ctnr spec` with no service keeps commander\'s message', () => {
    const r = ctnr(dir, ['spec']);
    expect(r.stderr).toBe("error: missing required argument 'service'\n(run with --help for usage)\n");
    expect(r.status).toBe(2);
  });
});

describe('ctnr bundle create --all', () => {
  const { rootfs, cleanup } = buildBusyboxRootfs();
  afterAll(cleanup);

  function bundles(data: string): string[] {
    return readdirSync(path.join(data, 'bundles')).filter((n) => !n.startsWith('.')).sort();
  }

  it('one bundle per active service, each with config.json and ctnr.json', () => {
    const dir = project(root.dir, 'b-all', THREE);
    const data = outDir(dir, 'data');
    const r = ctnr(dir, ['bundle', 'create', '--all', '--rootfs', rootfs, '--data-dir', data, ...ROOT]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const names = ['b-all-cache', 'b-all-web', 'b-all-worker'];
    expect(bundles(data)).toEqual(names);
    expect(r.stdout).toBe(['web', 'worker', 'cache'].map((s) => path.join(data, 'bundles', `b-all-${s}`) + '\n').join(''));
    for (const name of names) {
      const spec = JSON.parse(readFileSync(path.join(data, 'bundles', name, 'config.json'), 'utf8'));
      expectValidSpec(spec);
      expect(spec.root.path).toBe(rootfs);
      const meta = JSON.parse(readFileSync(path.join(data, 'bundles', name, 'ctnr.json'), 'utf8'));
      expect(meta.service).toBe(name.slice('b-all-'.length));
    }
  });

  it('--profile and named services select', () => {
    const dir = project(root.dir, 'b-sel', THREE);
    const data = outDir(dir, 'data');
    expect(ctnr(dir, ['bundle', 'create', '--all', '--profile', 'debug', '--rootfs', rootfs, '--data-dir', data, ...ROOT]).status).toBe(0);
    expect(bundles(data)).toEqual(['b-sel-cache', 'b-sel-debug', 'b-sel-web', 'b-sel-worker']);
    const data2 = outDir(dir, 'data2');
    const r = ctnr(dir, ['bundle', 'create', 'web', 'cache', '--rootfs', rootfs, '--data-dir', data2, ...ROOT]);
    expect(r.status, r.stderr).toBe(0);
    expect(bundles(data2)).toEqual(['b-sel-cache', 'b-sel-web']);
  });

  it('a bad service: the others are created, the bad one reported with its location and left out, exit 1', () => {
    const dir = project(root.dir, 'b-bad', BROKEN);
    const data = outDir(dir, 'data');
    const r = ctnr(dir, ['bundle', 'create', '--all', '--rootfs', rootfs, '--data-dir', data, ...ROOT]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error: service worker: compose.yaml:7:5 services.worker.cpus: "lots" is not a number');
    expect(readdirSync(path.join(data, 'bundles')).sort()).toEqual(['b-bad-cache', 'b-bad-web']);
    for (const b of ['b-bad-cache', 'b-bad-web']) {
      expect(existsSync(path.join(data, 'bundles', b, 'config.json'))).toBe(true);
      expect(existsSync(path.join(data, 'bundles', b, 'ctnr.json'))).toBe(true);
    }
  });

  it('an existing bundle without --force fails that service only; --force replaces them all', () => {
    const dir = project(root.dir, 'b-force', THREE);
    const data = outDir(dir, 'data');
    const args = ['--rootfs', rootfs, '--data-dir', data, ...ROOT];
    expect(ctnr(dir, ['bundle', 'create', 'web', ...args]).status).toBe(0);
    const r = ctnr(dir, ['bundle', 'create', '--all', ...args]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error: service web: bundle');
    expect(r.stderr).toContain('already exists');
    expect(bundles(data)).toEqual(['b-force-cache', 'b-force-web', 'b-force-worker']);
    expect(ctnr(dir, ['bundle', 'create', '--all', '--force', ...args]).status).toBe(0);
  });

  it('SERVICE DIR still writes one bundle to DIR', () => {
    const dir = project(root.dir, 'b-dir', THREE);
    const data = outDir(dir, 'data');
    const r = ctnr(dir, ['bundle', 'create', 'web', 'mine', '--rootfs', rootfs, '--data-dir', data, ...ROOT]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(path.join(dir, 'mine') + '\n');
    expect(existsSync(path.join(dir, 'mine/config.json'))).toBe(true);
    expect(existsSync(path.join(data, 'bundles'))).toBe(false);
  });

  it.each([
    ['--all with a directory', ['--all', 'mine'], '--all takes no service names or bundle directory'],
    ['several services with a directory', ['web', 'cache', 'mine'], '"mine" is no service of compose.yaml, and a bundle directory takes exactly one service'],
  ])('%s: a usage error, exit 2, nothing created', (_, args, message) => {
    const dir = project(root.dir, `b-usage-${args.length}`, THREE);
    const data = outDir(dir, 'data');
    const r = ctnr(dir, ['bundle', 'create', ...args, '--rootfs', rootfs, '--data-dir', data, ...ROOT]);
    expect(r.stderr).toContain(message);
    expect(r.status).toBe(2);
    expect(existsSync(path.join(dir, 'mine'))).toBe(false);
    expect(existsSync(path.join(data, 'bundles'))).toBe(false);
  });
});
