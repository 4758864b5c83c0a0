import { describe, expect, it } from 'vitest';
import { fileContent } from '../../../src/engine/bundle-files.js';
import { ctnrEntryPoint, hookKindFor, HOOK_PATH, networkHookPlugin } from '../../../plugins/hooks/network-hook.js';
import { definePlugin } from '../../../src/engine/define.js';
import { networkSchemas, type NetworkSettings } from '../../../src/network/settings.js';
import type { Result } from '../../../src/engine/engine.js';
import { REPO } from '../../helpers/shared.js';
import { composeError, runCompose } from '../mounts/compose.js';

const PROJECT = 'ctnr-test-project'; // the directory name runCompose uses

function settingsOf(r: Result): NetworkSettings | undefined {
  const f = r.files.find((x) => x.path === 'ctnr/network.json');
  return f ? networkSchemas().settingsSchema.parse(JSON.parse(fileContent(f)!)) : undefined;
}

const hookArgs = (verb: string) => [process.execPath, `${REPO}/bin/ctnr.cjs`, 'hook', 'network', verb];

describe('ctnr:network-hook: hooks', () => {
  it('a service on the default network gets createRuntime up and poststop down, absolute, minimal env, timeout', async () => {
    const r = await runCompose({});
    expect(ctnrEntryPoint()).toBe(`${REPO}/bin/ctnr.cjs`);
    expect(r.spec.hooks).toEqual({
      createRuntime: [{ path: process.execPath, args: hookArgs('up'), env: [HOOK_PATH], timeout: 60 }],
      poststop: [{ path: process.execPath, args: hookArgs('down'), env: [HOOK_PATH], timeout: 60 }],
    });
    expect(r.spec.hooks!.prestart).toBeUndefined();
    // The hooks never carry the generating shell's PATH.
    expect(r.spec.hooks!.createRuntime![0]!.env).not.toContain(`PATH=${process.env.PATH}`);
  });

  it.each([
    { what: 'network_mode: host', service: { network_mode: 'host' } },
    { what: 'network_mode: none', service: { network_mode: 'none' } },
    { what: 'network_mode: container:abc (joins its namespace)', service: { network_mode: 'container:abc' } },
  ])('no hooks and no settings with $what', async ({ service }) => {
    const r = await runCompose(service, {}, { env: { containerPids: { abc: 4242 } } });
    expect(r.spec.hooks).toBeUndefined();
    expect(settingsOf(r)).toBeUndefined();
  });

  it('hooks added earlier (another plugin, the user) are kept first, in order', async () => {
    const other = { path: '/usr/bin/true', args: ['true', 'mine'] };
    const earlier = definePlugin({
      name: 'acme:hooks',
      stage: 'seccomp',
      apply: () => [{ op: 'add', path: '/hooks', value: { createRuntime: [other], poststop: [other, { path: '/bin/true' }], poststart: [other] } }],
    });
    const r = await runCompose({}, {}, { plugins: [earlier] });
    expect(r.spec.hooks!.createRuntime!.map((h) => h.args)).toEqual([['true', 'mine'], hookArgs('up')]);
    expect(r.spec.hooks!.poststop!.map((h) => h.args?.at(-1))).toEqual(['mine', undefined, 'down']);
    expect(r.spec.hooks!.poststart).toEqual([other]);
  });

  it('hooks present without createRuntime/poststop: the lists are created, the others untouched', async () => {
    const other = { path: '/usr/bin/true' };
    const earlier = definePlugin({ name: 'acme:hooks', stage: 'seccomp', apply: () => [{ op: 'add', path: '/hooks', value: { poststart: [other] } }] });
    const r = await runCompose({}, {}, { plugins: [earlier] });
    expect(Object.keys(r.spec.hooks!).sort()).toEqual(['createRuntime', 'poststart', 'poststop']);
    expect(r.blame('/hooks/poststart').map((t) => t.plugin)).toEqual(['acme:hooks']);
  });

  it('an older target spec (1.0.1, no createRuntime) gets a prestart hook', async () => {
    const old = definePlugin({ name: 'acme:old', stage: 'process', apply: () => [{ op: 'replace', path: '/ociVersion', value: '1.0.1' }] });
    const r = await runCompose({}, {}, { plugins: [old] });
    expect(r.spec.hooks!.prestart![0]!.args).toEqual(hookArgs('up'));
    expect(r.spec.hooks!.createRuntime).toBeUndefined();
  });

  it.each([
    ['1.2.0', 'createRuntime'],
    ['1.0.2', 'createRuntime'],
    ['1.1.0-rc.1', 'createRuntime'],
    ['1.0.1', 'prestart'],
    ['1.0.0', 'prestart'],
  ])('ociVersion %s → %s', (v, kind) => {
    expect(hookKindFor(v)).toBe(kind);
  });

  it('options: command, timeout, cniPath, confDir, subnetPool are used; bad options name the plugin', async () => {
    const plugin = networkHookPlugin({ command: ['/opt/ctnr/bin/ctnr'], timeout: 9, cniPath: ['/opt/cni/bin'], confDir: '/opt/cni/net.d', subnetPool: '10.99.0.0/16' });
    const r = await runCompose({}, {}, { plugins: [{ ...plugin, replace: true }] });
    expect(r.spec.hooks!.createRuntime![0]).toEqual({ path: '/opt/ctnr/bin/ctnr', args: ['/opt/ctnr/bin/ctnr', 'hook', 'network', 'up'], env: [HOOK_PATH], timeout: 9 });
    const s = settingsOf(r)!;
    expect([s.cniPath, s.confDir, s.subnetPool]).toEqual([['/opt/cni/bin'], '/opt/cni/net.d', '10.99.0.0/16']);
    expect(() => networkHookPlugin({ command: ['ctnr'] })).toThrow(/options\.command.*absolute/);
    expect(() => networkHookPlugin({ timeout: -1 } as never)).toThrow(expect.objectContaining({ code: 'PLUGIN_OPTIONS', plugin: 'ctnr:network-hook' }));
  });
});

describe('ctnr:network-hook: settings stored in the bundle', () => {
  it('default network: name <project>_default, eth0, service name and hostname as aliases, the generated hosts file', async () => {
    const r = await runCompose({ hostname: 'web1' });
    expect(settingsOf(r)).toEqual({
      version: 1,
      mode: 'cni',
      project: PROJECT,
      service: 'svc',
      dataDir: '/var/lib/ctnr-test',
      cniPath: ['/usr/lib/cni'],
      confDir: '/etc/cni/net.d',
      subnetPool: '10.88.0.0/16',
      hostsFile: 'files/etc/hosts',
      networks: [{ key: 'default', name: `${PROJECT}_default`, interface: 'eth0', aliases: ['svc', 'web1'], internal: false, external: false }],
      ports: [],
    });
    // The hosts file the hook rewrites is the one bind-mounted at /etc/hosts.
    expect(r.spec.mounts!.find((m) => m.destination === '/etc/hosts')!.source).toBe('files/etc/hosts');
  });

  it('several networks: priority first then name, interface_name, aliases, ipv4_address, top-level name/internal/external/subnet', async () => {
    const r = await runCompose(
      {
        networks: {
          back: { aliases: ['db-alias'], ipv4_address: '10.77.0.5' },
          front: { priority: 10, interface_name: 'lan0' },
          zed: null,
        },
        container_name: 'the-svc',
      },
      {
        networks: {
          front: { name: 'shared-front' },
          back: { internal: true, ipam: { config: [{ subnet: '10.77.0.0/24' }] } },
          zed: { external: true },
        },
      },
    );
    const s = settingsOf(r)!;
    expect(s.networks).toEqual([
      { key: 'front', name: 'shared-front', interface: 'lan0', aliases: ['svc', 'the-svc'], internal: false, external: false },
      { key: 'back', name: `${PROJECT}_back`, interface: 'eth1', aliases: ['svc', 'db-alias', 'the-svc'], internal: true, external: false, ipv4Address: '10.77.0.5', subnet: '10.77.0.0/24' },
      { key: 'zed', name: `${PROJECT}_zed`, interface: 'eth2', aliases: ['svc', 'the-svc'], internal: false, external: true },
    ]);
  });

  it.each([
    { what: 'HOST:CONTAINER is host → container', ports: ['8080:80'], want: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
    { what: 'host IP and protocol', ports: ['127.0.0.1:5353:53/udp'], want: [{ hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' }] },
    { what: 'wildcard host IP means all addresses', ports: ['0.0.0.0:81:80'], want: [{ hostPort: 81, containerPort: 80, protocol: 'tcp' }] },
    { what: 'container port only: ephemeral host port', ports: ['80'], want: [{ containerPort: 80, protocol: 'tcp' }] },
    {
      what: 'ranges pair up',
      ports: ['9000-9001:90-91'],
      want: [{ hostPort: 9000, containerPort: 90, protocol: 'tcp' }, { hostPort: 9001, containerPort: 91, protocol: 'tcp' }],
    },
    { what: 'long syntax', ports: [{ target: 80, published: '8081', protocol: 'tcp', host_ip: '127.0.0.1' }], want: [{ hostPort: 8081, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' }] },
  ])('ports: $what', async ({ ports, want }) => {
    expect(settingsOf(await runCompose({ ports }))!.ports).toEqual(want);
  });

  it('rootless → slirp4netns mode', async () => {
    const r = await runCompose({}, {}, { env: { rootless: true, uid: 1000, gid: 1000, dataDir: '/home/u/.local/share/ctnr' } });
    expect(settingsOf(r)!.mode).toBe('slirp4netns');
    expect(r.spec.hooks!.createRuntime).toHaveLength(1);
  });

  it('a project CNI config for a network is embedded; its name names the CNI network', async () => {
    const conf = { cniVersion: '1.0.0', name: 'acme-net', plugins: [{ type: 'ptp', ipam: { type: 'static' } }] };
    const r = await runCompose({ networks: ['net'] }, { networks: { net: { driver: 'macvlan' } } }, { plugins: [{ ...networkHookPlugin({ networks: { net: conf } }), replace: true }] });
    expect(settingsOf(r)!.networks[0]).toMatchObject({ key: 'net', name: 'acme-net', config: conf });
    expect(r.diagnostics.filter((d) => d.plugin === 'ctnr:network-hook')).toEqual([]);
  });

  it('a non-bridge driver without a project config is a warning', async () => {
    const r = await runCompose({ networks: ['net'] }, { networks: { net: { driver: 'overlay' } } });
    expect(r.diagnostics.find((d) => d.plugin === 'ctnr:network-hook')?.message).toMatch(/driver "overlay".*CNI bridge/);
  });

  it('a network name that cannot name a CNI network is a located error', async () => {
    const err = await composeError({ networks: ['net'] }, { networks: { net: { name: 'has space' } } });
    expect(err.plugin).toBe('ctnr:network-hook');
    expect(err.path).toBe('services.svc.networks.net');
    expect(err.message).toMatch(/"has space" cannot name a CNI network/);
  });

  it('a bind-mounted host file at /etc/hosts is left alone (no hostsFile)', async () => {
    const r = await runCompose({ volumes: [{ type: 'bind', source: '/etc/hosts', target: '/etc/hosts' }] });
    expect(settingsOf(r)!.hostsFile).toBeUndefined();
  });

  it('without the network stage, the plugin mounts a hosts file of its own', async () => {
    const r = await runCompose({}, {}, { disable: ['ctnr:etc-files'] });
    expect(settingsOf(r)!.hostsFile).toBe('ctnr/hosts');
    expect(r.spec.mounts!.find((m) => m.destination === '/etc/hosts')).toEqual({ destination: '/etc/hosts', type: 'bind', source: 'ctnr/hosts', options: ['rbind', 'rprivate', 'ro'] });
    expect(r.files.find((f) => f.path === 'ctnr/hosts')!.content).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
  });
});
