import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { CtnrError } from '../engine/errors.js';
import { PLUGIN_PATH } from './cni.js';
import { parseCidr, type Cidr } from './default-conf.js';

/**
 * What the network hook does to the host besides running CNI plugins. An interface so unit tests can run
 * the hook logic with fake plugins and without touching the host's namespaces or links.
 */
export interface HostOps {
  /** Pin the network namespace of `pid` under `name` so DEL can still enter it after the container died. */
  pinNetns(name: string, pid: number): string | undefined;
  unpinNetns(name: string): void;
  /** Every subnet this host routes or holds an address in (a new network must not overlap them). */
  hostSubnets(): Cidr[];
  /** Delete a network device (the bridge of a built-in network, when its last container leaves). */
  deleteLink(name: string): void;
  /** A free port on this host for an ephemeral published port. */
  freePort(protocol: 'tcp' | 'udp' | 'sctp', hostIP: string | undefined): Promise<number>;
}

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'];

function ip(args: string[]): { ok: boolean; out: string } {
  const bin = IP.find((p) => existsSync(p));
  if (!bin) return { ok: false, out: 'ip (iproute2) not found' };
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { PATH: PLUGIN_PATH }, timeout: 10_000 });
  return { ok: r.status === 0, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

export const realHostOps: HostOps = {
  pinNetns(name, pid) {
    // `ip netns attach` bind-mounts /proc/PID/ns/net on /run/netns/NAME. Without it DEL could not enter
    // the namespace at poststop (the runtime passes pid 0 there), and bridge's ipMasq chain would leak.
    const r = ip(['netns', 'attach', name, String(pid)]);
    return r.ok ? `/run/netns/${name}` : undefined;
  },
  unpinNetns(name) {
    if (existsSync(`/run/netns/${name}`)) ip(['netns', 'delete', name]);
  },
  hostSubnets() {
    const out: Cidr[] = [];
    const routes = ip(['-4', 'route', 'show', 'table', 'all']).out;
    const addrs = ip(['-4', '-o', 'addr', 'show']).out;
    for (const line of routes.split('\n')) {
      let dst = line.trim().split(/\s+/)[0] ?? '';
      if (['broadcast', 'local', 'unreachable', 'blackhole', 'prohibit', 'multicast'].includes(dst)) dst = line.trim().split(/\s+/)[1] ?? '';
      if (dst === 'default' || dst === '') continue;
      const c = parseCidr(dst.includes('/') ? dst : `${dst}/32`);
      if (c) out.push(c);
    }
    for (const m of addrs.matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)) {
      const c = parseCidr(m[1]!);
      if (c) out.push(c);
    }
    return out;
  },
  deleteLink(name) {
    const r = ip(['link', 'del', name]);
    if (!r.ok && !/Cannot find device|does not exist/.test(r.out)) {
      throw new CtnrError('RUNTIME_FAILED', `cannot delete bridge ${name}: ${r.out.trim()}`);
    }
  },
  freePort(protocol, hostIP) {
    return new Promise((resolve, reject) => {
      if (protocol === 'udp') {
        const s = dgram.createSocket('udp4');
        s.on('error', reject);
        s.bind(0, hostIP ?? '0.0.0.0', () => {
          const { port } = s.address();
          s.close(() => resolve(port));
        });
        return;
      }
      const srv = net.createServer();
      srv.on('error', reject);
      srv.listen(0, hostIP ?? '0.0.0.0', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
  },
};
