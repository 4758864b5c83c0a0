import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { which } from '../helpers/runc.js';
import { cniE2eAvailable, IDLE, keysSandbox, sh, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `mac_address` (service level: the first network) and `networks.NAME.mac_address` under runc, through the CNI
 * bridge plugin (capability `mac`, runtimeConfig.mac; containernetworking-plugins ≥ 1.0 has it, 1.1.1 here): the
 * container's interface has that address.
 */
describe.skipIf(!cniE2eAvailable())('compose keys: mac_address (runc, CNI)', () => {
  const project = `ckm${process.pid}`;
  const networks = [`${project}_default`, `${project}_front`, `${project}_back`];
  let sb: KeysSandbox;
  let dir: string;

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project(
      'mac',
      [
        `name: ${project}`,
        'services:',
        '  one:',
        '    image: busybox',
        `    command: ${IDLE}`,
        '    mac_address: "02:42:AC:11:00:0A"',
        '  two:',
        '    image: busybox',
        `    command: ${IDLE}`,
        '    mac_address: 02-42-ac-11-00-0b',
        '    networks:',
        '      front: {priority: 10}',
        '      back: {mac_address: "02:42:ac:11:00:0c", interface_name: back0}',
        '  clash:',
        '    image: busybox',
        `    command: ${IDLE}`,
        '    mac_address: "02:42:ac:11:00:0d"',
        '    networks:',
        '      front: {mac_address: "02:42:ac:11:00:0e"}',
        'networks:',
        '  front: {}',
        '  back: {}',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down');
    sb.cleanup(networks, project);
  });

  it('the interfaces have the addresses asked for: service level on the first network, per network on its own', () => {
    const up = sb.ctnr(dir, 'up', 'one', 'two', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    const mac = (id: string, dev: string) => sb.exec(id, 'cat', `/sys/class/net/${dev}/address`).stdout.trim();
    expect(mac(`${project}-one`, 'eth0')).toBe('02:42:ac:11:00:0a');
    // front (priority 10) is the first network: eth0, with the service-level address; back names its interface.
    expect(mac(`${project}-two`, 'eth0')).toBe('02:42:ac:11:00:0b');
    expect(mac(`${project}-two`, 'back0')).toBe('02:42:ac:11:00:0c');
    // The address is used on the wire: the host's neighbour entry for the container's address carries it.
    const ip = sb.exec(`${project}-one`, 'sh', '-c', "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1").stdout.trim();
    expect(ip).toMatch(/^10\.88\.\d+\.\d+$/);
    expect(sh('ip', ['route', 'get', ip]).stdout).toMatch(/dev ctnr-/); // our bridge, nowhere else
    sh('busybox', ['ping', '-c', '1', '-W', '2', ip]);
    expect(sh('ip', ['neigh', 'show', ip]).stdout).toContain('02:42:ac:11:00:0a');
  });

  it('a service-level MAC that differs from its first network\'s is a located error', () => {
    const r = sb.ctnr(dir, 'up', 'clash', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/compose\.yaml:\d+:\d+ \[ctnr:network-hook\] services\.clash\.mac_address: the service-level mac_address should have the same value as network front/);
  });

  it('down leaves no container and no bridge', () => {
    const down = sb.ctnr(dir, 'down');
    expect(down.status, down.stderr).toBe(0);
    expect(sb.runtimeState()).toEqual([]);
  });
});

/** Rootless networking (slirp4netns --macaddress), exercised as root on a namespace of our own as test/e2e/cni.test.ts does. */
describe.skipIf(!(process.getuid?.() === 0 && which('slirp4netns') && which('unshare') && which('nsenter') && existsSync('/dev/net/tun')))('compose keys: mac_address rootless (slirp4netns)', () => {
  it('tap0 gets the service\'s MAC', async () => {
    const { networkDown, networkUp } = await import('../../src/network/hook.js');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-slirp-mac-'));
    mkdirSync(path.join(dir, 'bundle/ctnr'), { recursive: true });
    writeFileSync(
      path.join(dir, 'bundle/ctnr/network.json'),
      JSON.stringify({
        version: 1, mode: 'slirp4netns', project: 'p', service: 's', dataDir: path.join(dir, 'data'), cniPath: ['/usr/lib/cni'], confDir: '/etc/cni/net.d', subnetPool: '10.88.0.0/16',
        networks: [{ key: 'default', name: 'p_default', interface: 'eth0', aliases: ['s'], internal: false, external: false, mac: '02:42:ac:11:00:99' }], ports: [],
      }),
    );
    const ns = spawn('unshare', ['-n', '--', 'sleep', '30'], { stdio: 'ignore' });
    const oci = { id: `ckm-slirp-${process.pid}`, pid: ns.pid!, bundle: path.join(dir, 'bundle') };
    try {
      await new Promise((r) => setTimeout(r, 300));
      await networkUp(oci);
      // (sysfs here is the host's: ask ip in the namespace)
      expect(sh('nsenter', ['-t', String(ns.pid), '-n', 'ip', '-o', 'link', 'show', 'tap0']).stdout).toContain('link/ether 02:42:ac:11:00:99 ');
      await networkDown({ ...oci, pid: 0 });
    } finally {
      ns.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
