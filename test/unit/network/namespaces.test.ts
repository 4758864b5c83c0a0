import { describe, expect, it } from 'vitest';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { namespacesPlugin } from '../../../plugins/network/namespaces.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import type { Spec } from '../../../src/spec/types.js';
import { specWith } from '../../helpers/plugin-table-b.js';

const OWNED = ['pid', 'network', 'ipc', 'uts'];
/** The namespace entries ctnr:namespaces owns, as `type` or `type=path`, in spec order. */
const owned = (spec: Spec) => spec.linux!.namespaces!.filter((n) => OWNED.includes(n.type)).map((n) => (n.path ? `${n.type}=${n.path}` : n.type));
const PIDS = { containerPids: { db: 4242, abc123: 777 } };
const SHM = createBaseSpec().mounts!.findIndex((m) => m.destination === '/dev/shm');
const NET = createBaseSpec().linux!.namespaces!.findIndex((n) => n.type === 'network');

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
    const { spec, errors } = await testPluginYaml(namespacesPlugin(), service, { env: PIDS });
    expect(errors).toEqual([]);
    expect(owned(spec!)).toEqual(expected);
    // the mount namespace is not ours and always stays
    expect(spec!.linux!.namespaces!.some((n) => n.type === 'mount')).toBe(true);
  });

  it.each([
    { what: 'the base spec already has what a default service wants', service: {}, ops: [] },
    { what: 'joining replaces the entry in place', service: { network_mode: 'service:db' }, ops: [{ op: 'replace', path: `/linux/namespaces/${NET}`, value: { type: 'network', path: '/proc/4242/ns/net' } }] },
    { what: 'host removes the entry', service: { network_mode: 'host' }, ops: [{ op: 'remove', path: `/linux/namespaces/${NET}` }] },
  ])('ops: $what', async ({ service, ops }) => {
    expect((await testPluginYaml(namespacesPlugin(), service, { env: PIDS })).ops).toEqual(ops);
  });

  it.each([
    {
      what: 'a spec without namespaces gets the list',
      spec: specWith((s) => delete s.linux!.namespaces),
      service: { pid: 'host' },
      namespaces: [{ type: 'network' }, { type: 'ipc' }, { type: 'uts' }],
    },
    {
      what: 'entries left by an earlier plugin: the last of a type is kept (a joined one made new), earlier ones removed',
      spec: specWith((s) => (s.linux!.namespaces = [{ type: 'network' }, { type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }])),
      service: {},
      namespaces: [{ type: 'mount' }, { type: 'network' }, { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }],
    },
  ])('$what', async ({ spec, service, namespaces }) => {
    const r = await testPluginYaml(namespacesPlugin(), service, { spec });
    expect(r.errors).toEqual([]);
    expect(r.spec!.linux!.namespaces).toEqual(namespaces);
  });

  it('ipc: none is a private IPC namespace without /dev/shm', async () => {
    const r = await testPluginYaml(namespacesPlugin(), { ipc: 'none' });
    expect(owned(r.spec!)).toContain('ipc');
    expect(r.ops).toEqual([{ op: 'remove', path: `/mounts/${SHM}` }]);
    expect(r.spec!.mounts!.some((m) => m.destination === '/dev/shm')).toBe(false);
    expect((await testPluginYaml(namespacesPlugin(), {})).spec!.mounts!.some((m) => m.destination === '/dev/shm')).toBe(true);
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
    const { errors } = await testPluginYaml(namespacesPlugin(), service);
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:namespaces', path, message: expect.stringMatching(message) }]);
  });

  it('userns_mode: host cannot work rootless', async () => {
    const { errors } = await testPluginYaml(namespacesPlugin(), { userns_mode: 'host' }, { env: { rootless: true, uid: 1000, gid: 1000 } });
    expect(errors).toMatchObject([{ plugin: 'ctnr:namespaces', path: 'services.svc.userns_mode', message: expect.stringMatching(/cannot work rootless/) }]);
  });

  it('an invalid pid in env.containerPids is refused like a missing one', async () => {
    const { errors } = await testPluginYaml(namespacesPlugin(), { pid: 'service:db' }, { env: { containerPids: { db: -1 } } });
    expect(errors).toMatchObject([{ plugin: 'ctnr:namespaces', path: 'services.svc.pid' }]);
  });
});

// What only the pipeline shows: the trace of a whole run.
describe('pipeline: ctnr:namespaces in the trace', () => {
  it('records itself as the owner of the entries it changed', async () => {
    const r = await runServiceYaml({ network_mode: 'service:db' }, { env: PIDS });
    const i = r.spec.linux!.namespaces!.findIndex((n) => n.type === 'network');
    expect(r.blame(`/linux/namespaces/${i}`).map((t) => t.plugin)).toContain('ctnr:namespaces');
  });
});
