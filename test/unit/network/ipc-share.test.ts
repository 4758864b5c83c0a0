import { describe, expect, it } from 'vitest';
import { IPC_FILE, namespacesPlugin, SHM_DIR } from '../../../plugins/network/namespaces.js';
import { testPluginYaml } from '../../helpers/engine.js';

const shmMount = (spec: { mounts?: Array<{ destination: string }> } | undefined) => spec?.mounts?.filter((m) => m.destination === '/dev/shm');
const BIND = ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec'];

describe('ctnr:namespaces: ipc shareable and joining', () => {
  it('shareable: a new IPC namespace whose /dev/shm is the bundle\'s ctnr/shm, with the tmpfs to mount there', async () => {
    const r = await testPluginYaml(namespacesPlugin(), { ipc: 'shareable', shm_size: '128m' });
    expect(r.errors).toEqual([]);
    expect(r.spec!.linux!.namespaces!.find((n) => n.type === 'ipc')).toEqual({ type: 'ipc' });
    expect(shmMount(r.spec)).toEqual([{ destination: '/dev/shm', type: 'bind', source: SHM_DIR, options: BIND }]);
    expect(r.files.find((f) => f.path === SHM_DIR)).toMatchObject({ kind: 'directory', mode: 0o1777 });
    // The base spec's tmpfs options (shm_size is the mounts stage's, which this table does not run).
    expect(JSON.parse(r.files.find((f) => f.path === IPC_FILE)!.content!)).toEqual({ shm: { dir: SHM_DIR, options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] } });
  });

  it('private (and unset): the tmpfs stays in the container; nothing for the launcher', async () => {
    for (const ipc of [{ ipc: 'private' }, {}]) {
      const r = await testPluginYaml(namespacesPlugin(), ipc);
      expect(shmMount(r.spec)).toEqual([{ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] }]);
      expect(r.files).toEqual([]);
    }
  });

  it.each([
    ['service:db', { db: { id: 'p-db', pid: 4242, ipc: 'shareable', shm: '/data/bundles/p-db/ctnr/shm' } }, 'ipc=/proc/4242/ns/ipc', '/data/bundles/p-db/ctnr/shm'],
    ['container:other', { other: { id: 'other', pid: 77, ipc: 'service:x', shm: '/data/bundles/x/ctnr/shm' } }, 'ipc=/proc/77/ns/ipc', '/data/bundles/x/ctnr/shm'],
  ])('ipc %s joins the namespace and binds the other container\'s /dev/shm', async (ipc, containers, ns, source) => {
    const pids = Object.fromEntries(Object.entries(containers).map(([k, v]) => [k, v.pid]));
    const r = await testPluginYaml(namespacesPlugin(), { ipc }, { env: { containerPids: pids, containers } });
    expect(r.errors).toEqual([]);
    const got = r.spec!.linux!.namespaces!.find((n) => n.type === 'ipc')!;
    expect(`ipc=${got.path}`).toBe(ns);
    expect(shmMount(r.spec)).toEqual([{ destination: '/dev/shm', type: 'bind', source, options: BIND }]);
  });

  it('joining a container whose IPC namespace is private is refused, as docker does, with a located error', async () => {
    const r = await testPluginYaml(namespacesPlugin(), { ipc: 'service:db' }, { env: { containerPids: { db: 4242 }, containers: { db: { id: 'p-db', pid: 4242, ipc: '' } } } });
    expect(r.errors).toMatchObject([
      { plugin: 'ctnr:namespaces', path: 'services.svc.ipc', message: expect.stringMatching(/ipc "service:db": the IPC namespace of service db \(p-db\) is private: give it ipc: shareable/) },
    ]);
    expect(r.errors[0]!.location?.line).toBeGreaterThan(0);
  });

  it('without env.containers (ctnr spec), joining works by pid alone and keeps the private /dev/shm', async () => {
    const r = await testPluginYaml(namespacesPlugin(), { ipc: 'service:db' }, { env: { containerPids: { db: 4242 } } });
    expect(r.errors).toEqual([]);
    expect(shmMount(r.spec)).toMatchObject([{ type: 'tmpfs' }]);
  });
});
