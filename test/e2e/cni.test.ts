import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeName } from '../../src/network/default-conf.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, which } from '../helpers/runc.js';
import { IN_CI, REPO } from '../helpers/shared.js';

/**
 * Two services on one compose network, started with the real CLI under runc: the network hook runs the
 * real CNI plugins (bridge, host-local, portmap, firewall) on a private /24 of a bridge this test's network
 * creates. Traffic stays on this machine: the client talks to the server over that bridge, the host to the
 * published port on 127.0.0.1, and a direct request to the container address is made only after
 * `ip route get` shows it leaves through the test's own bridge.
 */

const CLI = path.join(REPO, 'bin/ctnr.cjs');
const CNI_READY = ['bridge', 'host-local', 'portmap'].every((p) => existsSync(`/usr/lib/cni/${p}`)) && Boolean(which('iptables'));

function cniAvailable(): boolean {
  if (!e2eAvailable('runc')) return false;
  if (CNI_READY && existsSync(path.join(REPO, 'dist/cli.cjs'))) return true;
  const msg = 'CNI e2e needs containernetworking-plugins, iptables and the built CLI (npm run build)';
  if (IN_CI) throw new Error(`${msg}, and CI=true`);
  console.warn(`skipping: ${msg}`);
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
const fetchText = (url: string) => sh('timeout', ['5', 'busybox', 'wget', '-q', '-O', '-', url]);

describe.skipIf(!cniAvailable())('network hook with real CNI plugins (root, runc)', () => {
  const project = `ctnrcni${process.pid}`;
  const network = `${project}_backend`;
  const bridge = bridgeName(network);
  const ids = [`${project}-server`, `${project}-client`];
  let dir: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let cleanupRootfs: () => void = () => {};

  const ctnr = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 90_000 });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-cni-'));
    dataDir = path.join(dir, 'data');
    const { rootfs, cleanup } = buildBusyboxRootfs(path.join(dir, 'rootfs'));
    cleanupRootfs = cleanup;
    mkdirSync(path.join(rootfs, 'www'));
    writeFileSync(path.join(rootfs, 'www/index.html'), 'hello-from-server\n');
    port = await freePort();
    const client = 'for i in $(seq 1 30); do if wget -q -O - http://server:8080/; then exit 0; fi; sleep 0.2; done; echo unreachable; exit 1';
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      [
        `name: ${project}`,
        'services:',
        '  server:',
        '    image: busybox',
        '    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]',
        '    read_only: true',
        '    stop_signal: SIGKILL',
        '    networks: [backend]',
        `    ports: ["127.0.0.1:${port}:8080"]`,
        '  client:',
        '    image: busybox',
        `    command: ["sh", "-c", ${JSON.stringify(client)}]`,
        '    networks:',
        '      backend:',
        '        aliases: [the-client]',
        '    depends_on: [server]',
        'networks:',
        '  backend: {}',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'ctnr.config.mjs'), `export default { dataDir: ${JSON.stringify(dataDir)} };\n`);
    env = { ...process.env, CTNR_RUN_ROOT: path.join(dir, 'run'), NO_COLOR: '1' };
  });

  afterAll(() => {
    if (!dir) return;
    ctnr('down');
    // Whatever a failed test left: containers, pinned namespaces, the bridge, then the files.
    for (const id of ids) {
      sh('runc', ['--root', path.join(dir, 'run/runc'), 'delete', '-f', id]);
      if (existsSync(`/run/netns/ctnr-${id}`)) sh('ip', ['netns', 'delete', `ctnr-${id}`]);
    }
    if (sh('ip', ['link', 'show', 'dev', bridge]).status === 0) sh('ip', ['link', 'del', bridge]);
    cleanupRootfs();
    rmSync(dir, { recursive: true, force: true });
  });

  const state = () => {
    const f = path.join(dataDir, 'networks', `${network}.json`);
    return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
  };

  it('the client reaches the server by service name; the host reaches the published port on 127.0.0.1', () => {
    const up = ctnr('up', 'server', '--rootfs', 'rootfs', '--runtime', 'runc');
    expect(up.stderr + up.stdout).toContain(`${ids[0]} started`);
    expect(up.status, up.stderr).toBe(0);

    const server = state()?.endpoints?.[ids[0]!];
    expect(server?.addresses).toHaveLength(1);
    const ip: string = server.addresses[0];
    expect(ip).toMatch(/^10\.88\.\d+\.\d+$/);
    expect(sh('ip', ['-br', 'link', 'show', 'master', bridge]).stdout).toMatch(/^veth/m);

    // Safety: a request to the container address must leave through this test's bridge, nowhere else.
    const route = sh('ip', ['route', 'get', ip]).stdout;
    expect(route).toContain(`dev ${bridge}`);
    expect(fetchText(`http://${ip}:8080/`).stdout).toBe('hello-from-server\n');

    const published = fetchText(`http://127.0.0.1:${port}/`);
    expect(published.stdout, published.stderr).toBe('hello-from-server\n');

    const run = ctnr('run', '--rm', 'client', '--rootfs', 'rootfs', '--runtime', 'runc');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toBe('hello-from-server\n');
    // The client's own entry left the network with it; the server's hosts file no longer lists it.
    expect(Object.keys(state().endpoints)).toEqual([ids[0]]);
    const hosts = readFileSync(path.join(dataDir, 'bundles', ids[0]!, 'files/etc/hosts'), 'utf8');
    expect(hosts).toContain(`${ip}\tserver\n`);
    expect(hosts).not.toContain('the-client');
  });

  it('the client sees itself (with its alias) and the server in its /etc/hosts', () => {
    const server = state().endpoints[ids[0]!].addresses[0];
    const cat = ctnr('run', '--rm', 'client', '--rootfs', 'rootfs', '--runtime', 'runc', '--', 'cat', '/etc/hosts');
    expect(cat.status, cat.stderr).toBe(0);
    expect(cat.stdout).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    expect(cat.stdout).toContain(`${server}\tserver\n`);
    expect(cat.stdout).toMatch(/^10\.88\.\d+\.\d+\tclient the-client$/m);
  });

  it('after ctnr down: no state entry, lease, veth, bridge, pinned netns or NAT rule remains', () => {
    const down = ctnr('down');
    expect(down.status, down.stderr).toBe(0);
    expect(state()).toBeUndefined();
    const leases = path.join(dataDir, 'networks/ipam', network);
    expect(existsSync(leases) ? readdirSync(leases).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : []).toEqual([]);
    expect(sh('ip', ['link', 'show', 'dev', bridge]).status).not.toBe(0);
    for (const id of ids) expect(existsSync(`/run/netns/ctnr-${id}`)).toBe(false);
    const nat = sh('iptables-save', ['-t', 'nat']).stdout;
    for (const id of ids) expect(nat).not.toContain(id);
    expect(nat).not.toContain(`--dport ${port} `);
  });
});

/**
 * The rootless path (slirp4netns + its port forwarding API), exercised as root on a network namespace of a
 * process of our own: `unshare -n` runs busybox httpd in a fresh namespace, `networkUp` in slirp4netns mode
 * gives it tap0 and forwards a port on 127.0.0.1 to it. All traffic goes host loopback → slirp4netns → the
 * namespace.
 */
describe.skipIf(!(process.getuid?.() === 0 && which('slirp4netns') && which('unshare') && existsSync('/dev/net/tun')))('slirp4netns networking (rootless path)', () => {
  it('up gives the namespace tap0 and forwards the published port; down stops slirp4netns', async () => {
    const { networkDown, networkUp } = await import('../../src/network/hook.js');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-slirp-'));
    mkdirSync(path.join(dir, 'www'));
    writeFileSync(path.join(dir, 'www/index.html'), 'hello-over-slirp\n');
    mkdirSync(path.join(dir, 'bundle/ctnr'), { recursive: true });
    const port = await freePort();
    writeFileSync(
      path.join(dir, 'bundle/ctnr/network.json'),
      JSON.stringify({
        version: 1, mode: 'slirp4netns', project: 'p', service: 's', dataDir: path.join(dir, 'data'), cniPath: ['/usr/lib/cni'], confDir: '/etc/cni/net.d',
        subnetPool: '10.88.0.0/16', networks: [], ports: [{ hostPort: port, containerPort: 8080, protocol: 'tcp', hostIP: '127.0.0.1' }],
      }),
    );
    const { spawn } = await import('node:child_process');
    const ns = spawn('unshare', ['-n', '--', 'busybox', 'httpd', '-f', '-p', '8080', '-h', path.join(dir, 'www')], { stdio: 'ignore' });
    const oci = { id: `slirp-${process.pid}`, pid: ns.pid!, bundle: path.join(dir, 'bundle') };
    try {
      await new Promise((r) => setTimeout(r, 300)); // let unshare exec httpd in the new namespace
      await networkUp(oci);
      const rec = JSON.parse(readFileSync(path.join(dir, 'data/networks/slirp', `${oci.id}.json`), 'utf8'));
      const addr = sh('nsenter', ['-t', String(ns.pid), '-n', 'ip', '-4', '-o', 'addr', 'show', 'tap0']).stdout;
      expect(addr).toContain('inet 10.0.2.100/24');
      expect(fetchText(`http://127.0.0.1:${port}/`).stdout).toBe('hello-over-slirp\n');
      await networkDown({ ...oci, pid: 0 });
      await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(`/proc/${rec.pid}/comm`) ? readFileSync(`/proc/${rec.pid}/comm`, 'utf8').trim() : 'gone').not.toBe('slirp4netns');
      expect(existsSync(rec.socket)).toBe(false);
      expect(fetchText(`http://127.0.0.1:${port}/`).status).not.toBe(0);
    } finally {
      ns.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
