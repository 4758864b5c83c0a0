import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileContent } from '../../../src/engine/bundle-files.js';
import { networkHookPlugin } from '../../../plugins/hooks/network-hook.js';
import { networkUp } from '../../../src/network/hook.js';
import type { HostOps } from '../../../src/network/host.js';
import { networkSchemas, type NetworkSettings } from '../../../src/network/settings.js';
import { readState } from '../../../src/network/state.js';
import { testPluginYaml } from '../../helpers/engine.js';
import { REPO } from '../../helpers/shared.js';

const plugin = () => networkHookPlugin({ command: ['/usr/bin/ctnr'] });
const macs = async (service: Record<string, unknown>, top: Record<string, unknown> = {}) => {
  const r = await testPluginYaml(plugin(), service, { top });
  expect(r.errors).toEqual([]);
  const s = networkSchemas().settingsSchema.parse(JSON.parse(fileContent(r.files.find((f) => f.path === 'ctnr/network.json')!)!));
  return Object.fromEntries(s.networks.map((n) => [n.key, n.mac]));
};

describe('ctnr:network-hook: mac_address', () => {
  it.each([
    [{ mac_address: '02:42:AC:11:00:02' }, {}, { default: '02:42:ac:11:00:02' }],
    [{ mac_address: '02-42-ac-11-00-02' }, {}, { default: '02:42:ac:11:00:02' }],
    // The service-level one goes to the first network by priority, each network's own to it.
    [
      { mac_address: '02:00:00:00:00:0a', networks: { a: { priority: 1 }, b: { priority: 5, mac_address: '02:00:00:00:00:0a' }, c: { mac_address: '02:00:00:00:00:0c' } } },
      { networks: { a: {}, b: {}, c: {} } },
      { b: '02:00:00:00:00:0a', a: undefined, c: '02:00:00:00:00:0c' },
    ],
    [{ networks: { a: { mac_address: '02:00:00:00:00:01' } } }, { networks: { a: {} } }, { a: '02:00:00:00:00:01' }],
    [{}, {}, { default: undefined }],
  ])('%j → %j', async (service, top, want) => {
    expect(await macs(service, top)).toEqual(want);
  });

  it.each([
    [{ mac_address: '02:42:ac:11:00' }, {}, 'services.svc.mac_address', /"02:42:ac:11:00" is not a MAC address/],
    [{ mac_address: '02:42:ac:11:00:0g' }, {}, 'services.svc.mac_address', /is not a MAC address/],
    [{ mac_address: '02:42-ac:11:00:02' }, {}, 'services.svc.mac_address', /is not a MAC address/],
    [{ mac_address: '01:00:5e:00:00:01' }, {}, 'services.svc.mac_address', /is a multicast address/],
    [{ mac_address: '00:00:00:00:00:00' }, {}, 'services.svc.mac_address', /all-zero/],
    [{ networks: { a: { mac_address: 'nope' } } }, { networks: { a: {} } }, 'services.svc.networks.a.mac_address', /"nope" is not a MAC address/],
    [{ mac_address: '02:00:00:00:00:01', networks: { a: { mac_address: '02:00:00:00:00:02' } } }, { networks: { a: {} } }, 'services.svc.mac_address', /should have the same value as network a \(02:00:00:00:00:02\)/],
    [{ mac_address: '02:00:00:00:00:01', network_mode: 'host' }, {}, 'services.svc.mac_address', /needs a network of the service's own \(network_mode "host"/],
  ])('%j → located error at %s', async (service, top, at, message) => {
    const r = await testPluginYaml(plugin(), service, { top });
    expect(r.errors).toMatchObject([{ plugin: 'ctnr:network-hook', path: at, message: expect.stringMatching(message) }]);
    expect(r.errors[0]!.location?.line).toBeGreaterThan(0);
  });
});

describe('ctnr hook network: the MAC goes to CNI as runtimeConfig.mac', () => {
  let tmp: string;
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const host: HostOps = { pinNetns: () => undefined, unpinNetns: () => {}, hostSubnets: () => [], deleteLink: () => {}, freePort: async () => 40000 };

  function setup(resultMac?: string) {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-mac-'));
    const cni = path.join(tmp, 'cni');
    mkdirSync(cni);
    const fake = readFileSync(path.join(REPO, 'test/fixtures/cni/fake-plugin/fake-cni.mjs'), 'utf8');
    // bridge: the fake plugin, whose result then names the interface's MAC (as the real bridge's does).
    const withMac = resultMac === undefined ? '' : `\nconst _w = process.stdout.write.bind(process.stdout); process.stdout.write = (s) => { const r = JSON.parse(s); for (const i of r.interfaces ?? []) if (i.sandbox) i.mac = ${JSON.stringify(resultMac)}; return _w(JSON.stringify(r)); };`;
    writeFileSync(path.join(cni, 'bridge'), `#!${process.execPath}${withMac}\n${fake}`);
    writeFileSync(path.join(cni, 'portmap'), `#!${process.execPath}\n${fake}`);
    for (const p of ['bridge', 'portmap']) chmodSync(path.join(cni, p), 0o755);
    const dataDir = path.join(tmp, 'data');
    const dir = path.join(tmp, 'bundle');
    mkdirSync(path.join(dir, 'ctnr'), { recursive: true });
    const settings: NetworkSettings = {
      version: 1, mode: 'cni', project: 'p', service: 's', dataDir, cniPath: [cni], confDir: path.join(tmp, 'net.d'), subnetPool: '10.88.0.0/16',
      networks: [{ key: 'default', name: 'p_default', interface: 'eth0', aliases: ['s'], internal: false, external: false, subnet: '10.88.7.0/24', mac: '02:00:00:00:00:0a' }],
      ports: [],
    };
    writeFileSync(path.join(dir, 'ctnr/network.json'), JSON.stringify(settings));
    const calls = () => readFileSync(path.join(cni, 'calls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    return { dataDir, oci: { id: 'p-s', pid: 2 ** 22 + 12345, bundle: dir }, calls };
  }

  it('the built-in bridge declares the mac capability and gets the address; the state keeps it for DEL', async () => {
    const t = setup('02:00:00:00:00:0A');
    await networkUp(t.oci, { host });
    const add = t.calls().find((c) => c.type === 'bridge')!.stdin;
    expect(add.capabilities).toEqual({ ips: true, mac: true });
    expect(add.runtimeConfig).toEqual({ mac: '02:00:00:00:00:0a' });
    expect(readState(t.dataDir, 'p_default')!.endpoints['p-s']!.runtimeConfig).toEqual({ mac: '02:00:00:00:00:0a' });
  });

  it('a result giving the interface another MAC (a config without the capability) fails, is rolled back, and says what to do', async () => {
    const t = setup('02:11:22:33:44:55');
    await expect(networkUp(t.oci, { host })).rejects.toThrow(/network p_default: eth0 got MAC 02:11:22:33:44:55, not the mac_address 02:00:00:00:00:0a: .*"capabilities": \{"mac": true\}/);
    expect(t.calls().map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(['ADD bridge', 'ADD portmap', 'DEL portmap', 'DEL bridge']);
    expect(readState(t.dataDir, 'p_default')).toBeUndefined();
  });
});
