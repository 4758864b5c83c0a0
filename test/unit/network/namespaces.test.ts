import { describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';

const OWNED = ['pid', 'network', 'ipc', 'uts'];
/** The namespace entries ctnr:namespaces owns, as `type` or `type=path`, in spec order. */
const owned = (spec: any) => (spec.linux.namespaces as Array<{ type: string; path?: string }>).filter((n) => OWNED.includes(n.type)).map((n) => (n.path ? `${n.type}=${n.path}` : n.type));
const PIDS = { containerPids: { db: 4242, abc123: 777 } };

describe('ctnr:namespaces', () => {
  it.each([
    [{}, ['pid', 'network', 'ipc', 'uts']],
    [{ network_mode: 'host' }, ['pid', 'ipc', 'uts']],
    [{ network_mode: 'none' }, ['pid', 'network', 'ipc', 'uts']],
    [{ network_mode: 'bridge' }, ['pid', 'network', 'ipc', 'uts']],
    [{ networks: ['default'] }, ['pid', 'network', 'ipc', 'uts']],
    [{ network_mode: 'service:db' }, ['pid', 'network=/proc/4242/ns/net', 'ipc', 'uts']],
    [{ network_mode: 'container:abc123' }, ['pid', 'network=/proc/777/ns/net', 'ipc', 'uts']],
    [{ ipc: 'host' }, ['pid', 'network', 'uts']],
    [{ ipc: 'private' }, ['pid', 'network', 'ipc', 'uts']],
    [{ ipc: 'shareable' }, ['pid', 'network', 'ipc', 'uts']],
    [{ ipc: 'service:db' }, ['pid', 'network', 'ipc=/proc/4242/ns/ipc', 'uts']],
    [{ pid: 'host' }, ['network', 'ipc', 'uts']],
    [{ pid: 'container:abc123' }, ['pid=/proc/777/ns/pid', 'network', 'ipc', 'uts']],
    [{ uts: 'host' }, ['pid', 'network', 'ipc']],
    [{ network_mode: 'host', ipc: 'host', pid: 'host', uts: 'host' }, []],
    [{ userns_mode: 'host' }, ['pid', 'network', 'ipc', 'uts']],
  ])('%j → %j', async (service, expected) => {
    const { spec } = await runServiceYaml(service, { env: PIDS });
    expect(owned(spec)).toEqual(expected);
    // the mount namespace is not ours and always stays
    expect(spec.linux!.namespaces!.some((n) => n.type === 'mount')).toBe(true);
  });

  it('ipc: none is a private IPC namespace without /dev/shm', async () => {
    const { spec } = await runServiceYaml({ ipc: 'none' });
    expect(owned(spec)).toContain('ipc');
    expect(spec.mounts!.some((m) => m.destination === '/dev/shm')).toBe(false);
    expect((await runServiceYaml({})).spec.mounts!.some((m) => m.destination === '/dev/shm')).toBe(true);
  });

  it('records itself as the owner of the entries it changed', async () => {
    const r = await runServiceYaml({ network_mode: 'service:db' }, { env: PIDS });
    const i = r.spec.linux!.namespaces!.findIndex((n) => n.type === 'network');
    expect(r.blame(`/linux/namespaces/${i}`).map((t) => t.plugin)).toContain('ctnr:namespaces');
  });

  it.each([
    [{ network_mode: 'hots' }, 'services.svc.network_mode', /network_mode "hots" is not one of .*did you mean "host"/],
    [{ network_mode: 'service:db' }, 'services.svc.network_mode', /service db has no known running process .*env\.containerPids/],
    [{ network_mode: 'none', networks: ['default'] }, 'services.svc.network_mode', /cannot both be set/],
    [{ ipc: 'public' }, 'services.svc.ipc', /ipc "public" is not one of host, private, shareable, none/],
    [{ pid: 'private' }, 'services.svc.pid', /pid "private" is not one of/],
    [{ uts: 'service:db' }, 'services.svc.uts', /uts "service:db" is not supported \(only host\)/],
    [{ userns_mode: 'keep-id' }, 'services.svc.userns_mode', /userns_mode "keep-id" is not supported/],
  ])('%j → error at %s', async (service, path, message) => {
    const err = await serviceError(service);
    expect(err.plugin).toBe('ctnr:namespaces');
    expect(err.path).toBe(path);
    expect(err.message).toMatch(message);
  });

  it('an invalid pid in env.containerPids is refused like a missing one', async () => {
    const err = await serviceError({ pid: 'service:db' }, { env: { containerPids: { db: -1 } } });
    expect(err.path).toBe('services.svc.pid');
  });
});
