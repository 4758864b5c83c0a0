import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2eAvailable } from '../helpers/runc.js';
import { writeOciLayout } from '../unit/bundle/oci-layout.js';
import { ctnr, withSandbox, type Sandbox } from '../unit/bundle/cli.js';

/** `ctnr bundle create` writes bundles a runtime runs as they are, with nothing else from ctnr. */
describe.skipIf(!e2eAvailable('runc'))('ctnr bundle', () => {
  let sb: Sandbox;
  let rootfs: string;
  let n = 0;
  withSandbox((s, r) => {
    sb = s;
    rootfs = r;
  });

  const project = (text: string) => {
    const dir = path.join(sb.dir, `p${++n}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'compose.yaml'), text);
    return path.join(dir, 'compose.yaml');
  };
  /** `runc run` on the bundle directory, the way any OCI tool would. */
  const runcRun = (bundle: string) => {
    const id = `ctnr-bundle-e2e-${process.pid}-${n}`;
    const root = path.join(sb.dir, 'runc-root');
    try {
      return spawnSync('runc', ['--root', root, 'run', '--bundle', bundle, id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    } finally {
      spawnSync('runc', ['--root', root, 'delete', '--force', id]);
    }
  };

  it('--image LAYOUT: unpacks the layers into the bundle, takes the image config, and runc runs it as is', () => {
    const layout = path.join(sb.dir, 'layout');
    writeOciLayout(layout, [{ ref: 'box:1', layers: [rootfs], gzip: true, config: { User: 'app', WorkingDir: '/home/app', Cmd: ['/bin/sh', '-c', 'echo $(id -un) in $(pwd)'] } }]);
    const file = project('services:\n  s:\n    image: box:1\n');
    const dir = path.join(sb.dir, 'bundle-image');
    const r = ctnr(['bundle', 'create', '-f', file, 's', dir, '--image', layout, '--data-dir', sb.dataDir], sb);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(dir + '\n');
    const spec = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(spec.root.path).toBe('rootfs');
    const meta = JSON.parse(readFileSync(path.join(dir, 'ctnr.json'), 'utf8'));
    expect(meta).toMatchObject({ service: 's', rootfs: { kind: 'image', layout } });
    expect(meta.inputDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const out = runcRun(dir);
    expect(out.stdout).toBe('app in /home/app\n');
    expect(out.status).toBe(0);
  });

  it('--image-config FILE wins over the config that comes with the layers, in the bundle as in spec', () => {
    const layout = path.join(sb.dir, 'layout-override');
    writeOciLayout(layout, [{ ref: 'box:1', layers: [rootfs], config: { User: 'app', WorkingDir: '/home/app', Cmd: ['/bin/sh', '-c', 'echo from the layout'] } }]);
    const file = project('services:\n  s:\n    image: box:1\n');
    const given = path.join(sb.dir, 'given-config.json');
    writeFileSync(given, JSON.stringify({ config: { User: '0', WorkingDir: '/tmp', Cmd: ['/bin/sh', '-c', 'echo $(id -u) in $(pwd) from the given config'] } }));
    const dir = path.join(sb.dir, 'bundle-image-config');
    const r = ctnr(['bundle', 'create', '-f', file, 's', dir, '--image', layout, '--image-config', given, '--data-dir', sb.dataDir], sb);
    expect(r.status, r.stderr).toBe(0);
    const spec = ctnr(['spec', '-f', file, 's', '--image', layout, '--image-config', given, '--data-dir', sb.dataDir], sb);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).process).toEqual({ ...JSON.parse(spec.stdout).process });
    const out = runcRun(dir);
    expect(out.stdout).toBe('0 in /tmp from the given config\n');
    expect(out.status).toBe(0);
  });

  it('--rootfs DIR: root.path is that directory (no copy); an existing bundle is replaced only with --force', () => {
    const file = project('services:\n  s:\n    image: x\n    command: ["/bin/echo", "one"]\n');
    const dir = path.join(sb.dir, 'bundle-rootfs');
    expect(ctnr(['bundle', 'create', '-f', file, 's', dir, '--rootfs', rootfs, '--data-dir', sb.dataDir], sb).status).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).root.path).toBe(rootfs);
    expect(existsSync(path.join(dir, 'rootfs'))).toBe(false);
    expect(runcRun(dir).stdout).toBe('one\n');

    writeFileSync(file, 'services:\n  s:\n    image: x\n    command: ["/bin/echo", "two"]\n');
    const again = ctnr(['bundle', 'create', '-f', file, 's', dir, '--rootfs', rootfs, '--data-dir', sb.dataDir], sb);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists \(use --force/);
    expect(runcRun(dir).stdout).toBe('one\n');
    expect(ctnr(['bundle', 'create', '-f', file, 's', dir, '--rootfs', rootfs, '--data-dir', sb.dataDir, '--force'], sb).status).toBe(0);
    expect(runcRun(dir).stdout).toBe('two\n');
    expect(readdirSync(path.dirname(dir)).filter((x) => x.includes('bundle-rootfs'))).toEqual(['bundle-rootfs']);
  });

  it.each([
    ['a missing bind source', '    volumes:\n      - type: bind\n        source: /nonexistent/ctnr-e2e\n        target: /data\n', /nonexistent\/ctnr-e2e/],
    ['a user the rootfs does not know', '    user: ghost\n', /ghost/],
  ])('a failing creation (%s) leaves no directory behind, and an existing bundle untouched', (_name, extra, msg) => {
    const file = project(`services:\n  s:\n    image: x\n    command: ["true"]\n${extra}`);
    const parent = path.join(sb.dir, `fail${n}`);
    const r = ctnr(['bundle', 'create', '-f', file, 's', path.join(parent, 'b'), '--rootfs', rootfs, '--data-dir', sb.dataDir], sb);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(msg);
    expect(existsSync(parent) ? readdirSync(parent) : []).toEqual([]);

    const ok = project('services:\n  s:\n    image: x\n    command: ["true"]\n');
    const existing = path.join(parent, 'existing');
    expect(ctnr(['bundle', 'create', '-f', ok, 's', existing, '--rootfs', rootfs, '--data-dir', sb.dataDir], sb).status).toBe(0);
    const before = readFileSync(path.join(existing, 'config.json'), 'utf8');
    expect(ctnr(['bundle', 'create', '-f', file, 's', existing, '--rootfs', rootfs, '--data-dir', sb.dataDir, '--force'], sb).status).toBe(1);
    expect(readFileSync(path.join(existing, 'config.json'), 'utf8')).toBe(before);
    expect(readdirSync(parent)).toEqual(['existing']);
  });

  it('bundle list and rm work on bundles under the data dir', () => {
    const file = project('name: listed\nservices:\n  a:\n    image: x\n    command: ["true"]\n  b:\n    image: x\n    command: ["true"]\n');
    const dataDir = path.join(sb.dir, 'list-data');
    for (const s of ['b', 'a']) expect(ctnr(['bundle', 'create', '-f', file, s, '--rootfs', rootfs, '--data-dir', dataDir], sb).status).toBe(0);
    const list = JSON.parse(ctnr(['bundle', 'list', '--json', '--data-dir', dataDir], sb).stdout) as Array<{ name: string; metadata: { service: string } }>;
    expect(list.map((b) => [b.name, b.metadata.service])).toEqual([['listed-a', 'a'], ['listed-b', 'b']]);
    expect(ctnr(['bundle', 'list', '--data-dir', dataDir], sb).stdout.split('\n')[0]).toMatch(/^NAME\s+PROJECT\s+SERVICE\s+DIGEST\s+DIR$/);
    const rm = ctnr(['bundle', 'rm', 'listed-a', '--data-dir', dataDir], sb);
    expect(rm.status).toBe(0);
    expect(readdirSync(path.join(dataDir, 'bundles'))).toEqual(['listed-b']);
    const bad = ctnr(['bundle', 'rm', 'nope', '--data-dir', dataDir], sb);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no bundle at/);
  });

  it('bundle list and rm use the dataDir of the config found from the working directory, as bundle create does', () => {
    const file = project('name: configured\nservices:\n  a:\n    image: x\n    command: ["true"]\n');
    const dir = path.dirname(file);
    writeFileSync(path.join(dir, 'ctnr.config.json'), JSON.stringify({ dataDir: './state' }));
    expect(ctnr(['bundle', 'create', 'a', '--rootfs', rootfs], sb, { cwd: dir }).status).toBe(0);
    expect(readdirSync(path.join(dir, 'state', 'bundles'))).toEqual(['configured-a']);
    const list = JSON.parse(ctnr(['bundle', 'list', '--json'], sb, { cwd: dir }).stdout) as Array<{ name: string }>;
    expect(list.map((b) => b.name)).toEqual(['configured-a']);
    const rm = ctnr(['bundle', 'rm', 'configured-a'], sb, { cwd: dir });
    expect(rm.status, rm.stderr).toBe(0);
    expect(readdirSync(path.join(dir, 'state', 'bundles'))).toEqual([]);
  });
});
