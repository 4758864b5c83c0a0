import { describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { mountAt } from './compose.js';

describe('ctnr:tmpfs', () => {
  it.each([
    { what: 'bare path gets docker defaults', tmpfs: '/run', options: ['noexec', 'nosuid', 'nodev'] },
    { what: 'size is in bytes, mode kept', tmpfs: ['/run:size=64m,mode=1777'], options: ['noexec', 'nosuid', 'nodev', 'size=67108864', 'mode=1777'] },
    { what: 'exec overrides noexec in place', tmpfs: ['/run:exec,size=1k'], options: ['exec', 'nosuid', 'nodev', 'size=1024'] },
    { what: 'last size wins', tmpfs: ['/run:size=1k,size=2k'], options: ['noexec', 'nosuid', 'nodev', 'size=2048'] },
  ])('$what', async ({ tmpfs, options }) => {
    const m = mountAt(await runServiceYaml({ tmpfs }), '/run');
    expect(m).toEqual({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options });
  });

  it('replaces the engine /dev/shm in place instead of stacking a second mount', async () => {
    const without = (await runServiceYaml({})).spec.mounts!.map((m) => m.destination);
    const { spec } = await runServiceYaml({ tmpfs: ['/dev/shm:size=1m'] });
    expect(spec.mounts!.filter((m) => m.destination === '/dev/shm')).toHaveLength(1);
    expect(spec.mounts!.map((m) => m.destination)).toEqual(without);
    expect(without.indexOf('/dev/shm')).toBe(createBaseSpec().mounts!.findIndex((m) => m.destination === '/dev/shm'));
  });

  it('refuses two tmpfs on one path', async () => {
    const err = await serviceError({ tmpfs: ['/run', '/run/'] });
    expect(err.path).toBe('services.svc.tmpfs[1]');
    expect(err.message).toBe('duplicate mount point /run (also tmpfs[0])');
  });
});

describe('ctnr:shm-size', () => {
  it.each([
    { shm_size: '128m', size: 'size=134217728' },
    { shm_size: 1048576, size: 'size=1048576' },
    { shm_size: '2g', size: 'size=2147483648' },
  ])('$shm_size → $size', async ({ shm_size, size }) => {
    const m = mountAt(await runServiceYaml({ shm_size }), '/dev/shm')!;
    expect(m.options).toEqual(['nosuid', 'noexec', 'nodev', 'mode=1777', size]);
  });

  it('rejects a zero size', async () => {
    const err = await serviceError({ shm_size: 0 });
    expect(err.path).toBe('services.svc.shm_size');
  });

  it('a user tmpfs on /dev/shm wins over shm_size (docker)', async () => {
    const m = mountAt(await runServiceYaml({ shm_size: '128m', tmpfs: ['/dev/shm:size=1m'] }), '/dev/shm')!;
    expect(m.options).toContain('size=1048576');
    expect(m.options).not.toContain('size=134217728');
  });
});

describe('ctnr:read-only', () => {
  it.each([
    { read_only: true, root: true },
    { read_only: false, root: false },
    { read_only: undefined, root: false },
  ])('read_only: $read_only → root.readonly $root', async ({ read_only, root }) => {
    const { spec } = await runServiceYaml(read_only === undefined ? {} : { read_only });
    expect(spec.root!.readonly).toBe(root);
  });

  it('keeps /proc and /dev writable, /sys read-only, and leaves user mounts their own mode', async () => {
    const { spec } = await runServiceYaml({ read_only: true, tmpfs: ['/tmp'], volumes: [{ type: 'tmpfs', target: '/cache' }] });
    const opts = (d: string) => mountAt({ spec } as never, d)!.options ?? [];
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/tmp', '/cache']) expect(opts(d), d).not.toContain('ro');
    expect(opts('/sys')).toContain('ro');
  });
});
