import { describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';

describe('ctnr:sysctls', () => {
  const DEFAULTS = { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' };
  it.each([
    [{}, {}, DEFAULTS],
    [{ sysctls: { 'net.core.somaxconn': 1024 } }, {}, { 'net.core.somaxconn': '1024', ...DEFAULTS }],
    [{ sysctls: ['net/ipv4/tcp_syncookies=0'] }, {}, { 'net.ipv4.tcp_syncookies': '0', ...DEFAULTS }],
    [{ sysctls: { 'kernel.shmmax': '68719476736', 'fs.mqueue.msg_max': 64, 'kernel.sem': '250 32000 100 128' } }, {},
      { 'kernel.shmmax': '68719476736', 'fs.mqueue.msg_max': '64', 'kernel.sem': '250 32000 100 128', ...DEFAULTS }],
    // the service's own value wins over docker's default
    [{ sysctls: { 'net.ipv4.ip_unprivileged_port_start': 1024 } }, {}, { 'net.ipv4.ip_unprivileged_port_start': '1024', 'net.ipv4.ping_group_range': '0 2147483647' }],
    // ip_unprivileged_port_start exists from Linux 4.11 on
    [{}, { kernelRelease: '4.9.0' }, { 'net.ipv4.ping_group_range': '0 2147483647' }],
    [{ network_mode: 'host' }, {}, undefined],
    [{ network_mode: 'host', sysctls: { 'kernel.msgmax': 65536 } }, {}, { 'kernel.msgmax': '65536' }],
    [{ domainname: 'example.test', network_mode: 'host' }, {}, { 'kernel.domainname': 'example.test' }],
  ])('%j (env %j) → linux.sysctl %j', async (service, env, expected) => {
    const { spec } = await runServiceYaml(service, { env });
    expect(spec.linux!.sysctl).toEqual(expected);
  });

  it('the network defaults can be switched off', async () => {
    // same name as the default's plugin: it takes that plugin's place with these options
    const { sysctlsPlugin } = await import('../../../plugins/network/sysctls.js');
    const { spec } = await runServiceYaml({}, { plugins: [{ ...sysctlsPlugin({ networkDefaults: false }), replace: true }] });
    expect(spec.linux!.sysctl).toBeUndefined();
  });

  it.each([
    [{ sysctls: { 'kernel.panic': 1 } }, 'kernel.panic', /is not namespaced: it is global to the host/],
    [{ sysctls: { 'vm.swappiness': 10 } }, 'vm.swappiness', /is not namespaced/],
    [{ network_mode: 'host', sysctls: { 'net.core.somaxconn': 1 } }, 'net.core.somaxconn', /cannot be set with host networking/],
    [{ network_mode: 'service:db', sysctls: { 'net.core.somaxconn': 1 } }, 'net.core.somaxconn', /joined from another container/],
    [{ ipc: 'host', sysctls: { 'kernel.shmmax': 1 } }, 'kernel.shmmax', /cannot be set with ipc: host/],
    [{ sysctls: { 'kernel.hostname': 'x' } }, 'kernel.hostname', /use that key instead/],
  ])('%j is refused with the reason', async (service, key, message) => {
    const err = await serviceError(service, { env: { containerPids: { db: 10 } } });
    expect(err.plugin).toBe('ctnr:sysctls');
    expect(err.path).toBe(`services.svc.sysctls["${key}"]`);
    expect(err.message).toMatch(message);
  });
});
