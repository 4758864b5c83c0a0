import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PLUGIN_PATH } from '../../../src/network/cni.js';
import { bridgeName, parseCidr, type Cidr } from '../../../src/network/default-conf.js';
import { networkDown, networkUp, type OciState } from '../../../src/network/hook.js';
import type { HostOps } from '../../../src/network/host.js';
import type { NetworkSettings } from '../../../src/network/settings.js';
import { readState } from '../../../src/network/state.js';
import { REPO } from '../../helpers/shared.js';

const FAKE = readFileSync(path.join(REPO, 'test/fixtures/cni/fake-plugin/fake-cni.mjs'), 'utf8');
const BASE_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
const NO_PID = 2 ** 22 + 12345; // above pid_max's default ceiling: never a live process

interface Call { type: string; env: Record<string, string>; stdin: any }

let tmp: string;
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function setup(plugins = ['bridge', 'portmap']) {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-hook-'));
  const cni = path.join(tmp, 'cni');
  mkdirSync(cni);
  for (const p of plugins) {
    writeFileSync(path.join(cni, p), `#!${process.execPath}\n${FAKE}`);
    chmodSync(path.join(cni, p), 0o755);
  }
  const dataDir = path.join(tmp, 'data');
  const confDir = path.join(tmp, 'net.d');
  mkdirSync(confDir);
  const host = fakeHost();
  const calls = (): Call[] => (existsSync(path.join(cni, 'calls.jsonl')) ? readFileSync(path.join(cni, 'calls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);
  const clearCalls = () => rmSync(path.join(cni, 'calls.jsonl'), { force: true });
  const fail = (cmd: string, type: string) => writeFileSync(path.join(cni, `fail-${cmd}-${type}`), '');
  const bundle = (id: string, s: Partial<NetworkSettings> = {}): OciState & { hosts: string } => {
    const dir = path.join(tmp, 'bundles', id);
    mkdirSync(path.join(dir, 'ctnr'), { recursive: true });
    mkdirSync(path.join(dir, 'files/etc'), { recursive: true });
    writeFileSync(path.join(dir, 'files/etc/hosts'), BASE_HOSTS);
    const settings: NetworkSettings = {
      version: 1, mode: 'cni', project: 'p', service: id, dataDir, cniPath: [cni], confDir, subnetPool: '10.88.0.0/16',
      hostsFile: 'files/etc/hosts',
      networks: [{ key: 'default', name: 'p_default', interface: 'eth0', aliases: [id], internal: false, external: false, subnet: '10.88.7.0/24' }],
      ports: [],
      ...s,
    };
    writeFileSync(path.join(dir, 'ctnr/network.json'), JSON.stringify(settings));
    return { id, pid: NO_PID, bundle: dir, hosts: path.join(dir, 'files/etc/hosts') };
  };
  return { cni, dataDir, confDir, host, calls, clearCalls, fail, bundle };
}

function fakeHost(subnets: Cidr[] = []) {
  const log: string[] = [];
  const host: HostOps & { log: string[] } = {
    log,
    pinNetns: (name, pid) => void log.push(`pin ${name} ${pid}`),
    unpinNetns: (name) => void log.push(`unpin ${name}`),
    hostSubnets: () => subnets,
    deleteLink: (name) => void log.push(`del-link ${name}`),
    freePort: async () => 40000,
  };
  return host;
}

const envOf = (cmd: string, id: string, netns: string, cni: string, ifName = 'eth0') => ({
  CNI_COMMAND: cmd, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: ifName, CNI_ARGS: '', CNI_PATH: cni, PATH: PLUGIN_PATH,
});

describe('ctnr hook network up/down with a fake CNI plugin', () => {
  it('ADD: exact env, stdin configs (libcni rules), result cached in the state, hosts file rewritten in place', async () => {
    const t = setup();
    const a = t.bundle('a', { ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' }] });
    const inode = statSync(a.hosts).ino;
    await networkUp(a, { host: t.host });
    const calls = t.calls();
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(['ADD bridge', 'ADD portmap']);
    const netns = `/proc/${NO_PID}/ns/net`;
    for (const c of calls) expect(c.env).toEqual(envOf('ADD', 'a', netns, t.cni));
    const ipamDir = path.join(t.dataDir, 'networks/ipam');
    expect(calls[0]!.stdin).toEqual({
      type: 'bridge', bridge: bridgeName('p_default'), isGateway: true, ipMasq: true, hairpinMode: true, capabilities: { ips: true },
      ipam: { type: 'host-local', dataDir: ipamDir, ranges: [[{ subnet: '10.88.7.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] },
      name: 'p_default', cniVersion: '1.0.0',
    });
    const result = { cniVersion: '1.0.0', interfaces: [{ name: bridgeName('p_default') }, { name: 'veth0' }, { name: 'eth0', sandbox: netns }], ips: [{ address: '10.88.7.2/24', gateway: '10.88.7.1', interface: 2 }] };
    // portmap: prevResult is bridge's result; runtimeConfig carries only the capability it declares.
    expect(calls[1]!.stdin).toEqual({
      type: 'portmap', capabilities: { portMappings: true }, snat: true, name: 'p_default', cniVersion: '1.0.0',
      prevResult: result,
      runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' }] },
    });
    const state = readState(t.dataDir, 'p_default')!;
    expect(state.managed).toEqual({ subnet: '10.88.7.0/24', bridge: bridgeName('p_default'), ipamDir });
    expect(state.endpoints.a).toMatchObject({ addresses: ['10.88.7.2'], names: ['a'], ifName: 'eth0', netns, result, hostsFile: a.hosts });
    expect(readFileSync(a.hosts, 'utf8')).toBe(`${BASE_HOSTS}# ctnr network p_default: begin\n10.88.7.2\ta\n# ctnr network p_default: end\n`);
    expect(statSync(a.hosts).ino).toBe(inode);
    expect(t.host.log).toEqual(['unpin ctnr-a', `pin ctnr-a ${NO_PID}`]);
  });

  it('two containers on one network see each other in their hosts files; down releases one, then the last removes the bridge', async () => {
    const t = setup();
    const a = t.bundle('a', { ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    const b = t.bundle('b', { networks: [{ key: 'default', name: 'p_default', interface: 'eth0', aliases: ['b', 'bee', 'b-host'], internal: false, external: false, subnet: '10.88.7.0/24' }] });
    await networkUp(a, { host: t.host });
    await networkUp(b, { host: t.host });
    const block = '# ctnr network p_default: begin\n10.88.7.2\ta\n10.88.7.3\tb bee b-host\n# ctnr network p_default: end\n';
    expect(readFileSync(a.hosts, 'utf8')).toBe(BASE_HOSTS + block);
    expect(readFileSync(b.hosts, 'utf8')).toBe(BASE_HOSTS + block);

    const added = readState(t.dataDir, 'p_default')!.endpoints.a!;
    t.clearCalls();
    await networkDown({ id: 'a', pid: 0, bundle: a.bundle }, { host: t.host });
    const calls = t.calls();
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(['DEL portmap', 'DEL bridge']);
    // The namespace is gone (its path no longer exists): CNI_NETNS is empty, as the spec allows for DEL.
    for (const c of calls) expect(c.env).toEqual(envOf('DEL', 'a', '', t.cni));
    // DEL gets the same config and runtimeConfig as ADD, with the cached ADD result as prevResult.
    expect(calls[0]!.stdin).toEqual({ ...added.config.plugins[1], name: 'p_default', cniVersion: '1.0.0', prevResult: added.result, runtimeConfig: added.runtimeConfig });
    expect(added.runtimeConfig).toEqual({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    expect(calls[1]!.stdin).toEqual({ ...added.config.plugins[0], name: 'p_default', cniVersion: '1.0.0', prevResult: added.result });
    expect(Object.keys(readState(t.dataDir, 'p_default')!.endpoints)).toEqual(['b']);
    expect(readFileSync(a.hosts, 'utf8')).toBe(BASE_HOSTS);
    expect(readFileSync(b.hosts, 'utf8')).toBe(`${BASE_HOSTS}# ctnr network p_default: begin\n10.88.7.3\tb bee b-host\n# ctnr network p_default: end\n`);
    expect(t.host.log).not.toContain(`del-link ${bridgeName('p_default')}`);

    await networkDown({ id: 'b', pid: 0, bundle: b.bundle }, { host: t.host });
    expect(readState(t.dataDir, 'p_default')).toBeUndefined();
    expect(t.host.log).toContain(`del-link ${bridgeName('p_default')}`);
    expect(t.host.log.filter((l) => l.startsWith('unpin')).at(-1)).toBe('unpin ctnr-b');
    expect(readFileSync(b.hosts, 'utf8')).toBe(BASE_HOSTS);
  });

  it('a failed ADD runs DEL for the whole list (reverse, same runtimeConfig, no prevResult) and records nothing', async () => {
    const t = setup();
    t.fail('ADD', 'portmap');
    const a = t.bundle('a', { ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    const warnings: string[] = [];
    await expect(networkUp(a, { host: t.host, warn: (m) => warnings.push(m) })).rejects.toThrow(/CNI ADD portmap \(network p_default, eth0\): portmap refused: fake failure \(CNI error 999\)/);
    const calls = t.calls();
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(['ADD bridge', 'ADD portmap', 'DEL portmap', 'DEL bridge']);
    expect(calls[2]!.env).toEqual(envOf('DEL', 'a', `/proc/${NO_PID}/ns/net`, t.cni));
    expect(calls[2]!.stdin.prevResult).toBeUndefined();
    expect(calls[2]!.stdin.runtimeConfig).toEqual({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    expect(calls[3]!.stdin.prevResult).toBeUndefined();
    expect(readState(t.dataDir, 'p_default')).toBeUndefined();
    expect(readFileSync(a.hosts, 'utf8')).toBe(BASE_HOSTS);
    expect(t.host.log).toEqual(['unpin ctnr-a', `pin ctnr-a ${NO_PID}`, `del-link ${bridgeName('p_default')}`, 'unpin ctnr-a']);
    expect(warnings).toEqual([]);
  });

  it('a failure on the second network undoes the first (DEL with its cached result) before failing', async () => {
    const t = setup();
    const nets: NetworkSettings['networks'] = [
      { key: 'one', name: 'p_one', interface: 'eth0', aliases: ['a'], internal: false, external: false, subnet: '10.88.8.0/24' },
      { key: 'two', name: 'p_two', interface: 'eth1', aliases: ['a'], internal: true, external: true },
    ];
    const a = t.bundle('a', { networks: nets });
    await expect(networkUp(a, { host: t.host })).rejects.toThrow(/network p_two is external, but no CNI config named "p_two"/);
    const calls = t.calls();
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.type} ${c.env.CNI_IFNAME}`)).toEqual(['ADD bridge eth0', 'ADD portmap eth0', 'DEL portmap eth0', 'DEL bridge eth0']);
    expect(calls[3]!.stdin.prevResult.ips[0].address).toBe('10.88.8.2/24');
    expect(readState(t.dataDir, 'p_one')).toBeUndefined();
    expect(readFileSync(a.hosts, 'utf8')).toBe(BASE_HOSTS);
  });

  it('config precedence: project config in the bundle, then the CNI config dir, then built in; internal drops masquerade and routes', async () => {
    const t = setup(['bridge', 'portmap', 'ptp', 'static']);
    writeFileSync(path.join(t.confDir, '10-two.conflist'), JSON.stringify({ cniVersion: '0.4.0', name: 'p_two', plugins: [{ type: 'ptp', ipam: { type: 'static', addresses: [] } }] }));
    const a = t.bundle('a', {
      networks: [
        { key: 'one', name: 'p_one', interface: 'eth0', aliases: ['a'], internal: false, external: false, config: { cniVersion: '1.0.0', name: 'p_one', plugins: [{ type: 'static' }] } },
        { key: 'two', name: 'p_two', interface: 'eth1', aliases: ['a'], internal: false, external: true },
        { key: 'three', name: 'p_three', interface: 'eth2', aliases: ['a'], internal: true, external: false, subnet: '10.88.9.0/24' },
      ],
    });
    await networkUp(a, { host: t.host });
    const calls = t.calls();
    expect(calls.map((c) => `${c.type} ${c.stdin.name} ${c.stdin.cniVersion} ${c.env.CNI_IFNAME}`)).toEqual([
      'static p_one 1.0.0 eth0', 'ptp p_two 0.4.0 eth1', 'bridge p_three 1.0.0 eth2', 'portmap p_three 1.0.0 eth2',
    ]);
    expect(calls[2]!.stdin).toMatchObject({ ipMasq: false, ipam: { routes: [] } });
    // Only the built-in network is "managed" (its bridge is removed with its last container).
    expect(readState(t.dataDir, 'p_one')!.managed).toBeUndefined();
    expect(readState(t.dataDir, 'p_three')!.managed?.subnet).toBe('10.88.9.0/24');
  });

  it('ipv4_address goes to the ips capability with the subnet prefix', async () => {
    const t = setup();
    const a = t.bundle('a', { networks: [{ key: 'default', name: 'p_default', interface: 'eth0', aliases: ['a'], internal: false, external: false, subnet: '10.88.7.0/24', ipv4Address: '10.88.7.50' }] });
    await networkUp(a, { host: t.host });
    expect(t.calls()[0]!.stdin.runtimeConfig).toEqual({ ips: ['10.88.7.50/24'] });
    // portmap does not declare the capability, so it does not see it.
    expect(t.calls()[1]!.stdin.runtimeConfig).toBeUndefined();
    expect(readState(t.dataDir, 'p_default')!.endpoints.a!.addresses).toEqual(['10.88.7.50']);
  });

  it('the firewall plugin is appended when installed', async () => {
    const t = setup(['bridge', 'portmap', 'firewall']);
    await networkUp(t.bundle('a'), { host: t.host });
    expect(t.calls().map((c) => c.type)).toEqual(['bridge', 'portmap', 'firewall']);
    expect(t.calls()[2]!.stdin).toMatchObject({ type: 'firewall', backend: 'iptables', prevResult: { ips: [{ address: '10.88.7.2/24' }] } });
  });

  it('an ephemeral published port is chosen at up and given to DEL unchanged', async () => {
    const t = setup();
    const a = t.bundle('a', { ports: [{ containerPort: 80, protocol: 'tcp' }] });
    await networkUp(a, { host: t.host });
    await networkDown(a, { host: t.host });
    const pm = t.calls().filter((c) => c.type === 'portmap').map((c) => c.stdin.runtimeConfig);
    expect(pm).toEqual([{ portMappings: [{ hostPort: 40000, containerPort: 80, protocol: 'tcp' }] }, { portMappings: [{ hostPort: 40000, containerPort: 80, protocol: 'tcp' }] }]);
  });

  it('a subnet is allocated from the pool, avoiding host routes and other ctnr networks', async () => {
    const t = setup();
    t.host.hostSubnets = () => [parseCidr('10.66.0.0/24')!];
    const net = (name: string): NetworkSettings['networks'][number] => ({ key: name, name, interface: 'eth0', aliases: ['x'], internal: false, external: false });
    await networkUp(t.bundle('a', { subnetPool: '10.66.0.0/23', networks: [net('n1')] }), { host: t.host });
    expect(readState(t.dataDir, 'n1')!.managed!.subnet).toBe('10.66.1.0/24');
    await expect(networkUp(t.bundle('b', { subnetPool: '10.66.0.0/23', networks: [net('n2')] }), { host: t.host })).rejects.toThrow(/no free \/24 left in the subnet pool 10\.66\.0\.0\/23 for network n2/);
  });

  it('up again for the same id releases the leftover endpoint first; down with nothing recorded does nothing', async () => {
    const t = setup();
    const a = t.bundle('a');
    await networkUp(a, { host: t.host });
    t.clearCalls();
    await networkUp(a, { host: t.host });
    expect(t.calls().map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(['DEL portmap', 'DEL bridge', 'ADD bridge', 'ADD portmap']);
    expect(Object.keys(readState(t.dataDir, 'p_default')!.endpoints)).toEqual(['a']);
    await networkDown(a, { host: t.host });
    t.clearCalls();
    await networkDown(a, { host: t.host });
    expect(t.calls()).toEqual([]);
  });

  it('a failing DEL still removes the state entry and reports the error', async () => {
    const t = setup();
    const a = t.bundle('a');
    await networkUp(a, { host: t.host });
    t.fail('DEL', 'bridge');
    await expect(networkDown(a, { host: t.host })).rejects.toMatchObject({ details: [expect.stringMatching(/CNI DEL bridge \(network p_default, eth0\): bridge refused/)] });
    expect(t.calls().map((c) => `${c.env.CNI_COMMAND} ${c.type}`).slice(-2)).toEqual(['DEL portmap', 'DEL bridge']);
    expect(readState(t.dataDir, 'p_default')).toBeUndefined();
  });

  it('a missing plugin names CNI_PATH and the package', async () => {
    const t = setup(['bridge']);
    await expect(networkUp(t.bundle('a'), { host: t.host })).rejects.toThrow(`CNI ADD portmap (network p_default, eth0): plugin "portmap" not found in ${t.cni} (install containernetworking-plugins)`);
    expect(t.calls().map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(['ADD bridge', 'DEL bridge']);
  });
});
