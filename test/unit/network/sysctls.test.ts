import { describe, expect, it } from 'vitest';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { sysctlsPlugin } from '../../../plugins/network/sysctls.js';
import type { Spec } from '../../../src/spec/types.js';
import { hostNamespaces, joinedNamespace, specWith } from '../../helpers/plugin-table-b.js';

const DEFAULTS = { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' };
/** What ctnr:namespaces and ctnr:hostname leave for `network_mode: host` (+ `domainname: example.test`). */
const HOST_NET = hostNamespaces('network');
const HOST_NET_DOMAIN = { ...hostNamespaces('network'), hostname: 'svc', domainname: 'example.test' };

describe('ctnr:sysctls', () => {
  it.each([
    { service: {}, env: {}, ns: 'own', spec: undefined, expected: DEFAULTS },
    { service: { sysctls: { 'net.core.somaxconn': 1024 } }, env: {}, ns: 'own', spec: undefined, expected: { 'net.core.somaxconn': '1024', ...DEFAULTS } },
    { service: { sysctls: ['net/ipv4/tcp_syncookies=0'] }, env: {}, ns: 'own', spec: undefined, expected: { 'net.ipv4.tcp_syncookies': '0', ...DEFAULTS } },
    {
      service: { sysctls: { 'kernel.shmmax': '68719476736', 'fs.mqueue.msg_max': 64, 'kernel.sem': '250 32000 100 128' } }, env: {}, ns: 'own', spec: undefined,
      expected: { 'kernel.shmmax': '68719476736', 'fs.mqueue.msg_max': '64', 'kernel.sem': '250 32000 100 128', ...DEFAULTS },
    },
    // the service's own value wins over docker's default
    { service: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': 1024 } }, env: {}, ns: 'own', spec: undefined, expected: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'net.ipv4.ping_group_range': '0 2147483647' } },
    // ip_unprivileged_port_start exists from Linux 4.11 on
    { service: {}, env: { kernelRelease: '4.9.0' }, ns: 'own', spec: undefined, expected: { 'net.ipv4.ping_group_range': '0 2147483647' } },
    // rootless: the gid range would have to be mapped, which is the rootless stage's job
    { service: {}, env: { rootless: true, uid: 1000, gid: 1000 }, ns: 'own', spec: undefined, expected: undefined },
    { service: {}, env: {}, ns: 'host network', spec: HOST_NET, expected: undefined },
    { service: { sysctls: { 'kernel.msgmax': 65536 } }, env: {}, ns: 'host network', spec: HOST_NET, expected: { 'kernel.msgmax': '65536' } },
    { service: {}, env: {}, ns: 'host network, domainname set', spec: HOST_NET_DOMAIN, expected: { 'kernel.domainname': 'example.test' } },
    // with a UTS namespace of the host's, the domain name is not the container's to set
    { service: {}, env: {}, ns: 'host network and uts, domainname set', spec: { ...hostNamespaces('network', 'uts'), domainname: 'example.test' }, expected: undefined },
  ])('$service (env $env, $ns namespaces) → linux.sysctl $expected', async ({ service, env, spec, expected }) => {
    const r = await testPluginYaml(sysctlsPlugin(), service, { env, ...(spec ? { spec: spec as Spec } : {}) });
    expect(r.errors).toEqual([]);
    expect(r.spec!.linux!.sysctl).toEqual(expected);
  });

  it.each([
    { what: 'a spec without linux.sysctl gets the object', spec: undefined, ops: [{ op: 'add', path: '/linux/sysctl', value: { 'net.core.somaxconn': '1', ...DEFAULTS } }] },
    {
      what: 'values set before are replaced one by one, others added',
      spec: specWith((s) => (s.linux!.sysctl = { 'net.core.somaxconn': '9', 'kernel.sem': '1 2 3 4' })),
      ops: [
        { op: 'replace', path: '/linux/sysctl/net.core.somaxconn', value: '1' },
        { op: 'add', path: '/linux/sysctl/net.ipv4.ping_group_range', value: '0 2147483647' },
        { op: 'add', path: '/linux/sysctl/net.ipv4.ip_unprivileged_port_start', value: '0' },
      ],
    },
  ])('ops: $what', async ({ spec, ops }) => {
    expect((await testPluginYaml(sysctlsPlugin(), { sysctls: { 'net.core.somaxconn': 1 } }, spec ? { spec } : {})).ops).toEqual(ops);
  });

  it('the network defaults can be switched off', async () => {
    const { spec } = await testPluginYaml(sysctlsPlugin({ networkDefaults: false }), {});
    expect(spec!.linux!.sysctl).toBeUndefined();
  });

  it('a bad option names the plugin', () => {
    expect(() => sysctlsPlugin({ networkDefaults: 'no' } as never)).toThrow(expect.objectContaining({ code: 'PLUGIN_OPTIONS' }));
  });

  it.each([
    { service: { sysctls: { 'kernel.panic': 1 } }, spec: undefined, key: 'kernel.panic', message: /is not namespaced: it is global to the host/ },
    { service: { sysctls: { 'vm.swappiness': 10 } }, spec: undefined, key: 'vm.swappiness', message: /is not namespaced/ },
    { service: { sysctls: { 'net.core.somaxconn': 1 } }, spec: HOST_NET, key: 'net.core.somaxconn', message: /cannot be set with host networking/ },
    { service: { sysctls: { 'net.core.somaxconn': 1 } }, spec: joinedNamespace('network', '/proc/10/ns/net'), key: 'net.core.somaxconn', message: /joined from another container/ },
    { service: { sysctls: { 'kernel.shmmax': 1 } }, spec: hostNamespaces('ipc'), key: 'kernel.shmmax', message: /cannot be set with ipc: host/ },
    { service: { sysctls: { 'kernel.shmmax': 1 } }, spec: joinedNamespace('ipc', '/proc/10/ns/ipc'), key: 'kernel.shmmax', message: /IPC namespace joined from another container/ },
    { service: { sysctls: { 'kernel.hostname': 'x' } }, spec: undefined, key: 'kernel.hostname', message: /use that key instead/ },
  ])('$service is refused with the reason', async ({ service, spec, key, message }) => {
    const { errors } = await testPluginYaml(sysctlsPlugin(), service, spec ? { spec } : {});
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:sysctls', path: `services.svc.sysctls["${key}"]`, message: expect.stringMatching(message) }]);
  });
});

// What only the pipeline shows: ctnr:namespaces and ctnr:hostname decide what ctnr:sysctls reads, and a
// plugin of the same name from a config takes the default one's place.
describe('pipeline: ctnr:sysctls after ctnr:namespaces and ctnr:hostname', () => {
  it.each([
    [{ network_mode: 'host' }, undefined],
    [{ network_mode: 'host', sysctls: { 'kernel.msgmax': 65536 } }, { 'kernel.msgmax': '65536' }],
    [{ domainname: 'example.test', network_mode: 'host' }, { 'kernel.domainname': 'example.test' }],
  ])('%j → linux.sysctl %j', async (service, expected) => {
    expect((await runServiceYaml(service)).spec.linux!.sysctl).toEqual(expected);
  });

  it.each([
    [{ network_mode: 'host', sysctls: { 'net.core.somaxconn': 1 } }, 'net.core.somaxconn', /cannot be set with host networking/],
    [{ network_mode: 'service:db', sysctls: { 'net.core.somaxconn': 1 } }, 'net.core.somaxconn', /joined from another container/],
    [{ ipc: 'host', sysctls: { 'kernel.shmmax': 1 } }, 'kernel.shmmax', /cannot be set with ipc: host/],
  ])('%j is refused with the reason', async (service, key, message) => {
    await expect(runServiceYaml(service, { env: { containerPids: { db: 10 } } })).rejects.toMatchObject({ plugin: 'ctnr:sysctls', path: `services.svc.sysctls["${key}"]`, message: expect.stringMatching(message) });
  });

  it('the network defaults can be switched off by swapping the plugin', async () => {
    // same name as the default's plugin: it takes that plugin's place with these options
    const { spec } = await runServiceYaml({}, { plugins: [{ ...sysctlsPlugin({ networkDefaults: false }), replace: true }] });
    expect(spec.linux!.sysctl).toBeUndefined();
  });
});
