import { describe, expect, it } from 'vitest';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { readOnlyPlugin } from '../../../plugins/mounts/read-only.js';
import { shmSizePlugin } from '../../../plugins/mounts/shm-size.js';
import { tmpfsPlugin } from '../../../plugins/mounts/tmpfs.js';
import type { Spec } from '../../../src/spec/types.js';
import { specWith } from '../../helpers/plugin-table-b.js';
import { mountAt } from './compose.js';

/** The mount at `destination` in a spec (the last one, as the kernel would see it). */
const at = (spec: Spec | undefined, destination: string) => mountAt({ spec } as never, destination);
const BASE = createBaseSpec().mounts!.map((m) => m.destination);
const SHM = BASE.indexOf('/dev/shm');

describe('ctnr:tmpfs', () => {
  it.each([
    { what: 'bare path gets docker defaults', tmpfs: '/run', options: ['noexec', 'nosuid', 'nodev'] },
    { what: 'size is in bytes, mode kept', tmpfs: ['/run:size=64m,mode=1777'], options: ['noexec', 'nosuid', 'nodev', 'size=67108864', 'mode=1777'] },
    { what: 'exec overrides noexec in place', tmpfs: ['/run:exec,size=1k'], options: ['exec', 'nosuid', 'nodev', 'size=1024'] },
    { what: 'last size wins', tmpfs: ['/run:size=1k,size=2k'], options: ['noexec', 'nosuid', 'nodev', 'size=2048'] },
  ])('$what', async ({ tmpfs, options }) => {
    const r = await testPluginYaml(tmpfsPlugin(), { tmpfs });
    expect(r.ops).toEqual([{ op: 'add', path: '/mounts/-', value: { destination: '/run', type: 'tmpfs', source: 'tmpfs', options } }]);
    expect(at(r.spec, '/run')).toEqual({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options });
  });

  it('replaces the engine /dev/shm in place instead of stacking a second mount', async () => {
    const r = await testPluginYaml(tmpfsPlugin(), { tmpfs: ['/dev/shm:size=1m'] });
    const mount = { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'size=1048576'] };
    expect(r.ops).toEqual([{ op: 'replace', path: `/mounts/${SHM}`, value: mount }]);
    expect(r.spec!.mounts!.map((m) => m.destination)).toEqual(BASE);
  });

  it('a spec without mounts gets the list first', async () => {
    const r = await testPluginYaml(tmpfsPlugin(), { tmpfs: ['/run'] }, { spec: specWith((s) => delete s.mounts) });
    expect(r.ops.map((o) => [o.op, o.path])).toEqual([['add', '/mounts'], ['add', '/mounts/-']]);
  });

  it('refuses two tmpfs on one path', async () => {
    const { errors } = await testPluginYaml(tmpfsPlugin(), { tmpfs: ['/run', '/run/'] });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:tmpfs', path: 'services.svc.tmpfs[1]', message: 'duplicate mount point /run (also tmpfs[0])' }]);
  });
});

describe('ctnr:shm-size', () => {
  it.each([
    { shm_size: '128m', size: 'size=134217728' },
    { shm_size: 1048576, size: 'size=1048576' },
    { shm_size: '2g', size: 'size=2147483648' },
  ])('$shm_size → $size', async ({ shm_size, size }) => {
    const r = await testPluginYaml(shmSizePlugin(), { shm_size });
    const options = ['nosuid', 'noexec', 'nodev', 'mode=1777', size];
    expect(r.ops).toEqual([{ op: 'replace', path: `/mounts/${SHM}/options`, value: options }]);
    expect(at(r.spec, '/dev/shm')!.options).toEqual(options);
  });

  it('rejects a zero size', async () => {
    const { errors } = await testPluginYaml(shmSizePlugin(), { shm_size: 0 });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:shm-size', path: 'services.svc.shm_size' }]);
  });

  it('warns when /dev/shm is not a tmpfs (ipc: none took it away, or a bind is there)', async () => {
    for (const spec of [specWith((s) => s.mounts!.splice(SHM, 1)), specWith((s) => (s.mounts![SHM] = { destination: '/dev/shm', type: 'bind', source: '/srv/shm', options: ['rbind'] }))]) {
      const r = await testPluginYaml(shmSizePlugin(), { shm_size: '128m' }, { spec });
      expect(r.ops).toEqual([]);
      expect(r.diagnostics).toMatchObject([{ level: 'warning', plugin: 'ctnr:shm-size', path: 'services.svc.shm_size', message: expect.stringMatching(/has no effect/) }]);
    }
  });
});

describe('ctnr:read-only', () => {
  it.each([
    { read_only: true, root: true },
    { read_only: false, root: false },
    { read_only: undefined, root: false },
  ])('read_only: $read_only → root.readonly $root', async ({ read_only, root }) => {
    const { spec } = await testPluginYaml(readOnlyPlugin(), read_only === undefined ? {} : { read_only });
    expect(spec!.root!.readonly).toBe(root);
  });

  it('keeps /proc and /dev writable, makes the other engine mounts read-only, /sys stays read-only', async () => {
    const etc = { destination: '/etc/engine', type: 'bind', source: '/srv/engine', options: ['rbind', 'rw'] };
    const { spec, ops } = await testPluginYaml(readOnlyPlugin(), { read_only: true }, { spec: specWith((s) => s.mounts!.push(etc)) });
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue']) expect(at(spec, d)!.options ?? [], d).not.toContain('ro');
    expect(at(spec, '/sys')!.options).toContain('ro');
    expect(at(spec, '/etc/engine')!.options).toEqual(['rbind', 'ro']);
    // /sys already had ro: only the root and the new mount are written
    expect(ops).toEqual([{ op: 'replace', path: '/root/readonly', value: true }, { op: 'replace', path: `/mounts/${BASE.length}/options`, value: ['rbind', 'ro'] }]);
  });
});

// What only the pipeline shows: the plugins of the mounts stage in their order (read-only and shm-size first,
// then the user's tmpfs and volumes).
describe('pipeline: the mounts stage in order', () => {
  it('a user tmpfs on /dev/shm wins over shm_size (docker)', async () => {
    const m = mountAt(await runServiceYaml({ shm_size: '128m', tmpfs: ['/dev/shm:size=1m'] }), '/dev/shm')!;
    expect(m.options).toContain('size=1048576');
    expect(m.options).not.toContain('size=134217728');
  });

  it('read_only keeps /proc and /dev writable, /sys read-only, and leaves user mounts their own mode', async () => {
    const { spec } = await runServiceYaml({ read_only: true, tmpfs: ['/tmp'], volumes: [{ type: 'tmpfs', target: '/cache' }] });
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/tmp', '/cache']) expect(at(spec, d)!.options ?? [], d).not.toContain('ro');
    expect(at(spec, '/sys')!.options).toContain('ro');
  });

  it('a tmpfs on /dev/shm leaves the whole list of mounts as it was (no second /dev/shm)', async () => {
    const without = (await runServiceYaml({})).spec.mounts!.map((m) => m.destination);
    const { spec } = await runServiceYaml({ tmpfs: ['/dev/shm:size=1m'] });
    expect(spec.mounts!.filter((m) => m.destination === '/dev/shm')).toHaveLength(1);
    expect(spec.mounts!.map((m) => m.destination)).toEqual(without);
    expect(without.indexOf('/dev/shm')).toBe(SHM);
  });
});
