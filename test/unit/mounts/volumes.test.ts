import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymousVolumePath, namedVolumeDir, volumesPlugin } from '../../../plugins/mounts/volumes.js';
import { tmpfsPlugin } from '../../../plugins/mounts/tmpfs.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import type { Plugin } from '../../../src/engine/types.js';
import { loadServiceYaml, TEST_ENV, testPluginYaml, type RunOptions } from '../../helpers/engine.js';
import { mountAt } from './compose.js';
import { testPlugin } from '../../../src/plugin-kit/index.js';

let tmp: string;
let project: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-volumes-'));
  project = path.join(tmp, 'proj');
  mkdirSync(path.join(project, 'data'), { recursive: true });
  mkdirSync(path.join(tmp, 'external-vols', 'volumes', 'shared'), { recursive: true });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const vol = (v: Record<string, unknown>) => ({ volumes: [v] });
/** ctnr:volumes alone on a service, with the top level of its compose file (as runCompose took it). */
const run = (service: Record<string, unknown>, top: Record<string, unknown> = {}, options: RunOptions = {}) =>
  testPluginYaml(volumesPlugin(), service, { environment: {}, ...options, top });
/** The result as mountAt reads it. */
const spec = (r: { spec: unknown }) => ({ spec: r.spec }) as never;
const BASE = createBaseSpec().mounts!.map((m) => m.destination);

describe('ctnr:volumes — bind mounts', () => {
  it.each([
    { what: 'long form: rbind, rprivate', volume: { type: 'bind', target: '/data' }, options: ['rbind', 'rprivate'] },
    { what: 'read_only adds ro', volume: { type: 'bind', target: '/data', read_only: true }, options: ['rbind', 'rprivate', 'ro'] },
    { what: 'propagation', volume: { type: 'bind', target: '/data', bind: { propagation: 'rshared' } }, options: ['rbind', 'rshared'] },
    { what: 'recursive disabled is a plain bind', volume: { type: 'bind', target: '/data', bind: { recursive: 'disabled' } }, options: ['bind', 'rprivate'] },
    { what: 'recursive readonly adds rro', volume: { type: 'bind', target: '/data', read_only: true, bind: { recursive: 'readonly' } }, options: ['rbind', 'rprivate', 'ro', 'rro'] },
    { what: 'trailing slash on the target is cleaned', volume: { type: 'bind', target: '/data/' }, options: ['rbind', 'rprivate'] },
    { what: 'short syntax ro', volume: 'DATA:/data:ro', options: ['rbind', 'rprivate', 'ro'] },
    { what: 'short syntax propagation and ro', volume: 'DATA:/data:rslave,ro', options: ['rbind', 'rslave', 'ro'] },
  ])('$what', async ({ volume, options }) => {
    const data = path.join(project, 'data');
    const v = typeof volume === 'string' ? volume.replace('DATA', data) : { ...volume, source: data };
    const r = await run({ volumes: [v] }, {}, { dir: project });
    const mount = { destination: '/data', type: 'bind', source: data, options };
    expect(r.ops).toEqual([{ op: 'add', path: '/mounts/-', value: mount }]);
    expect(mountAt(spec(r), '/data')).toEqual(mount);
  });

  it('a relative short-syntax source resolves against the compose directory', async () => {
    const r = await run({ volumes: ['./data:/srv'] }, {}, { dir: project });
    expect(mountAt(spec(r), '/srv')!.source).toBe(path.join(project, 'data'));
  });

  it('a missing source is a located error unless the volume asks to create it', async () => {
    const missing = path.join(tmp, 'nope');
    const { errors } = await run(vol({ type: 'bind', source: missing, target: '/x', bind: { create_host_path: false } }), {}, { dir: project });
    expect(errors).toHaveLength(1);
    const err = errors[0]!;
    expect(err.code).toBe('SERVICE_INVALID');
    expect(err.path).toBe('services.svc.volumes[0].source');
    expect(err.message).toContain(`bind source ${missing} does not exist`);
    expect(err.location?.line).toBeGreaterThan(1);
    expect(err.plugin).toBe('ctnr:volumes');
    // short syntax creates it (compose's create_host_path default)
    const ok = await run({ volumes: [`${missing}:/x`] }, {}, { dir: project });
    expect(mountAt(spec(ok), '/x')!.source).toBe(missing);
  });

  it('a user mount replaces the engine mount on the same destination, in place', async () => {
    const data = path.join(project, 'data');
    const r = await run(vol({ type: 'bind', source: data, target: '/dev/shm' }), {}, { dir: project });
    expect(r.ops).toEqual([{ op: 'replace', path: `/mounts/${BASE.indexOf('/dev/shm')}`, value: { destination: '/dev/shm', type: 'bind', source: data, options: ['rbind', 'rprivate'] } }]);
    expect(r.spec!.mounts!.map((m) => m.destination)).toEqual(BASE);
    expect(mountAt(spec(r), '/dev/shm')!.type).toBe('bind');
  });

  it('a selinux relabel request is reported, not silently dropped', async () => {
    const r = await run({ volumes: [`${path.join(project, 'data')}:/data:z`] }, {}, { dir: project });
    expect(r.diagnostics).toMatchObject([{ level: 'warning', plugin: 'ctnr:volumes', path: 'services.svc.volumes[0]', message: expect.stringMatching(/relabel/) }]);
  });
});

describe('ctnr:volumes — named and anonymous volumes', () => {
  const env = { dataDir: '/var/lib/ctnr-test' };
  it.each([
    { what: 'plain entry → <project>_<key>', top: { name: 'shop', volumes: { db: {} } }, dir: '/var/lib/ctnr-test/volumes/shop_db' },
    { what: 'null entry', top: { name: 'shop', volumes: { db: null } }, dir: '/var/lib/ctnr-test/volumes/shop_db' },
    { what: 'name: is used as is', top: { name: 'shop', volumes: { db: { name: 'pgdata' } } }, dir: '/var/lib/ctnr-test/volumes/pgdata' },
    { what: 'project name from the directory', top: { volumes: { db: {} } }, dir: '/var/lib/ctnr-test/volumes/ctnr-test-project_db' },
  ])('$what', async ({ top, dir }) => {
    const r = await run({ volumes: ['db:/var/lib/db'] }, top, { env });
    expect(mountAt(spec(r), '/var/lib/db')).toEqual({ destination: '/var/lib/db', type: 'bind', source: dir, options: ['rbind', 'rprivate'] });
    expect(r.files).toEqual([]);
  });

  it('two services of one project share the directory (it depends on project and name only)', async () => {
    const a = await run({ volumes: ['db:/a'] }, { name: 'p', volumes: { db: {} } }, { env });
    const b = await run({ volumes: [{ type: 'volume', source: 'db', target: '/b', read_only: true }] }, { name: 'p', volumes: { db: {} } }, { env });
    expect(mountAt(spec(a), '/a')!.source).toBe(mountAt(spec(b), '/b')!.source);
    expect(mountAt(spec(b), '/b')!.options).toEqual(['rbind', 'rprivate', 'ro']);
    expect(namedVolumeDir(TEST_ENV, 'p_db')).toBe(mountAt(spec(a), '/a')!.source);
  });

  it('external volumes keep their name and must exist', async () => {
    const dataDir = path.join(tmp, 'external-vols');
    const r = await run({ volumes: ['shared:/s'] }, { volumes: { shared: { external: true } } }, { env: { dataDir } });
    expect(mountAt(spec(r), '/s')!.source).toBe(path.join(dataDir, 'volumes', 'shared'));
    const { errors } = await run({ volumes: ['gone:/s'] }, { volumes: { gone: { external: true } } }, { env: { dataDir } });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:volumes', path: 'services.svc.volumes[0].source', message: expect.stringMatching(/external volume "gone" not found/) }]);
  });

  it('subpath mounts a directory inside the volume', async () => {
    const r = await run({ volumes: [{ type: 'volume', source: 'db', target: '/d', volume: { subpath: 'a/b' } }] }, { name: 'p', volumes: { db: {} } }, { env });
    expect(mountAt(spec(r), '/d')!.source).toBe('/var/lib/ctnr-test/volumes/p_db/a/b');
  });

  it('a local-driver bind volume mounts its device', async () => {
    const device = path.join(project, 'data');
    const r = await run({ volumes: ['dev:/d'] }, { volumes: { dev: { driver: 'local', driver_opts: { type: 'none', o: 'bind', device } } } }, { env });
    expect(mountAt(spec(r), '/d')!.source).toBe(device);
  });

  it('an anonymous volume is a bundle directory mounted by a bundle-relative source', async () => {
    const r = await run({ volumes: ['/var/cache/app'] });
    const m = mountAt(spec(r), '/var/cache/app')!;
    expect(m.source).toBe(anonymousVolumePath('/var/cache/app'));
    expect(m.source!.startsWith('volumes/')).toBe(true);
    expect(m.type).toBe('bind');
    expect(r.files).toEqual([{ path: m.source, kind: 'directory', mode: 0o755, plugin: 'ctnr:volumes' }]);
    // distinct targets never share a directory, even when their slugs collide
    expect(anonymousVolumePath('/a/b')).not.toBe(anonymousVolumePath('/a-b'));
  });

  it('a tmpfs volume is a real tmpfs with size and mode', async () => {
    const r = await run({ volumes: [{ type: 'tmpfs', target: '/scratch', tmpfs: { size: '16m', mode: '1770' } }] });
    expect(mountAt(spec(r), '/scratch')).toEqual({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'size=16777216', 'mode=1770'] });
  });
});

describe('ctnr:volumes — subpaths and image mounts', () => {
  // An unpacked image (what env.imageMounts points at) and a named volume, each with a link planted in it.
  let image: string;
  let dataDir: string;
  beforeAll(() => {
    image = path.join(tmp, 'image-files');
    mkdirSync(path.join(image, 'usr/share/data'), { recursive: true });
    writeFileSync(path.join(image, 'usr/share/data/one.txt'), 'one\n');
    symlinkSync('/etc', path.join(image, 'usr/share/etc-link'));
    dataDir = path.join(tmp, 'subpath-data');
    mkdirSync(path.join(dataDir, 'volumes', 'p_db', 'real'), { recursive: true });
    symlinkSync('/etc', path.join(dataDir, 'volumes', 'p_db', 'planted'));
    writeFileSync(path.join(dataDir, 'volumes', 'p_db', 'file'), '');
  });
  const imageEnv = () => ({ dataDir, imageMounts: { 'tools:1': image } });
  const top = { name: 'p', volumes: { db: {} } };

  it.each([
    { what: 'the whole image', mount: {}, source: () => image },
    { what: 'a directory in it', mount: { image: { subpath: 'usr/share/data' } }, source: () => path.join(image, 'usr/share/data') },
    { what: 'a file in it', mount: { image: { subpath: 'usr/share/data/one.txt' } }, source: () => path.join(image, 'usr/share/data/one.txt') },
    { what: 'read_only: true says what is anyway', mount: { read_only: true }, source: () => image },
  ])('an image mount of $what is a read-only bind of its files', async ({ mount, source }) => {
    const r = await run({ volumes: [{ type: 'image', source: 'tools:1', target: '/opt/tools', ...mount }] }, {}, { env: imageEnv() });
    expect(mountAt(spec(r), '/opt/tools')).toEqual({ destination: '/opt/tools', type: 'bind', source: source(), options: ['rbind', 'rprivate', 'ro'] });
    expect(r.diagnostics).toEqual([]);
  });

  it('read_only: false is said to change nothing', async () => {
    const r = await run({ volumes: [{ type: 'image', source: 'tools:1', target: '/t', read_only: false }] }, {}, { env: imageEnv() });
    expect(mountAt(spec(r), '/t')!.options).toEqual(['rbind', 'rprivate', 'ro']);
    expect(r.diagnostics).toMatchObject([{ level: 'warning', path: 'services.svc.volumes[0].read_only', message: 'image mounts are read-only: read_only: false changes nothing' }]);
  });

  it('before the image is unpacked (a spec) its subpath is where it will be', async () => {
    const notYet = path.join(tmp, 'not-unpacked');
    const r = await run({ volumes: [{ type: 'image', source: 'tools:1', target: '/t', image: { subpath: 'a/b' } }] }, {}, { env: { dataDir, imageMounts: { 'tools:1': notYet } } });
    expect(mountAt(spec(r), '/t')!.source).toBe(path.join(notYet, 'a/b'));
  });

  it('a volume subpath that does not exist yet is made by the bundle writer', async () => {
    const r = await run({ volumes: [{ type: 'volume', source: 'db', target: '/d', volume: { subpath: 'real/new' } }] }, top, { env: { dataDir } });
    expect(mountAt(spec(r), '/d')!.source).toBe(path.join(dataDir, 'volumes/p_db/real/new'));
  });

  it.each([
    { what: 'an image subpath through a link', v: { type: 'image', source: 'tools:1', image: { subpath: 'usr/share/etc-link/ssl' } }, at: 'image.subpath', msg: '"usr/share/etc-link/ssl": "usr/share/etc-link" is a symbolic link (a link could lead out of it; ctnr follows none) in image tools:1' },
    { what: 'an image subpath that is a link', v: { type: 'image', source: 'tools:1', image: { subpath: 'usr/share/etc-link' } }, at: 'image.subpath', msg: '"usr/share/etc-link" is a symbolic link' },
    { what: 'an image subpath missing from the image', v: { type: 'image', source: 'tools:1', image: { subpath: 'usr/missing' } }, at: 'image.subpath', msg: '"usr/missing": "usr/missing" does not exist in image tools:1' },
    { what: 'an image subpath leaving the image', v: { type: 'image', source: 'tools:1', image: { subpath: 'usr/../../etc' } }, at: 'image.subpath', msg: 'must be a relative path inside image tools:1' },
    { what: 'an absolute image subpath', v: { type: 'image', source: 'tools:1', image: { subpath: '/etc' } }, at: 'image.subpath', msg: 'must be a relative path inside image tools:1' },
    { what: 'a volume subpath through a link a container planted', v: { type: 'volume', source: 'db', volume: { subpath: 'planted/ssl' } }, at: 'volume.subpath', msg: '"planted/ssl": "planted" is a symbolic link (a link could lead out of it; ctnr follows none) in the volume' },
    { what: 'a volume subpath below a file', v: { type: 'volume', source: 'db', volume: { subpath: 'file/x' } }, at: 'volume.subpath', msg: '"file" is not a directory in the volume' },
  ])('refused: $what', async ({ v, at, msg }) => {
    const { errors } = await run({ volumes: [{ ...v, target: '/d' }] }, top, { env: imageEnv() });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:volumes', path: `services.svc.volumes[0].${at}` }]);
    expect(errors[0]!.message).toContain(msg);
  });
});

describe('ctnr:volumes — refused', () => {
  const data = () => path.join(project, 'data');
  it.each([
    { what: 'duplicate destinations', service: () => ({ volumes: [`${data()}:/d`, { type: 'tmpfs', target: '/d/' }] }), path: 'services.svc.volumes[1]', msg: 'duplicate mount point /d (also volumes[0])' },
    { what: 'duplicate with tmpfs:', service: () => ({ tmpfs: ['/run'], volumes: [`${data()}:/run`] }), path: 'services.svc.volumes[0]', msg: 'duplicate mount point /run (also tmpfs[0])' },
    { what: 'undeclared driver', service: () => ({ volumes: ['db:/d'] }), top: { volumes: { db: { driver: 'nfs' } } }, path: 'services.svc.volumes[0].source', msg: 'only the local driver is supported' },
    { what: 'name escaping the volume dir', service: () => ({ volumes: ['db:/d'] }), top: { volumes: { db: { name: '../../etc' } } }, path: 'services.svc.volumes[0].source', msg: 'is not valid' },
    { what: 'subpath escaping the volume', service: () => ({ volumes: [{ type: 'volume', source: 'db', target: '/d', volume: { subpath: '../x' } }] }), top: { volumes: { db: {} } }, path: 'services.svc.volumes[0].volume.subpath', msg: 'relative path inside the volume' },
    { what: 'recursive readonly without read_only', service: () => ({ volumes: [{ type: 'bind', source: data(), target: '/d', bind: { recursive: 'readonly' } }] }), path: 'services.svc.volumes[0].bind.recursive', msg: 'needs read_only: true' },
    { what: 'an image mount with no files given for the image', service: () => ({ volumes: [{ type: 'image', source: 'alpine', target: '/d' }] }), path: 'services.svc.volumes[0].source', msg: 'image "alpine": no root filesystem was given for it' },
  ])('$what', async ({ service, top, path: p, msg }) => {
    const { errors } = await run(service(), top ?? {}, { dir: project });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:volumes', path: p }]);
    expect(errors[0]!.message).toContain(msg);
  });

  // The loader refuses these before any plugin runs; the plugins refuse them too when a service comes
  // through the API, without the loader.
  it.each([
    { what: 'relative target (short syntax)', service: { volumes: ['/tmp:data'] } },
    { what: 'relative target (long syntax)', service: { volumes: [{ type: 'bind', source: '/tmp', target: 'data' }] } },
    { what: 'relative tmpfs path', service: { tmpfs: ['run'] } },
  ])('the loader: $what', ({ service }) => {
    expect(() => loadServiceYaml(service, { environment: {}, dir: project })).toThrow(expect.objectContaining({ code: 'SERVICE_INVALID', message: expect.stringMatching(/absolute/) }));
  });

  it.each([
    { what: 'relative volume target', plugin: volumesPlugin(), service: { volumes: [{ type: 'bind', source: '/tmp', target: 'data' }] }, path: 'services.svc.volumes[0].target' },
    { what: 'relative tmpfs path', plugin: tmpfsPlugin(), service: { tmpfs: [{ target: 'run', options: [] }] }, path: 'services.svc.tmpfs[0]' },
  ])('through the API: $what', async ({ plugin, service, path: at }) => {
    const { errors } = await testPlugin(plugin as Plugin, { service: service as never });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: (plugin as Plugin).name, path: at, message: expect.stringMatching(/absolute/) }]);
  });
});
