import { createHash } from 'node:crypto';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import type { Conflist } from './settings.js';
import { subnetPools } from './pool.js';

/**
 * The built-in CNI configuration of a compose network: a bridge of its own with host-local addresses on a
 * private /24, portmap for published ports, firewall when installed.
 */

export interface Cidr {
  /** Network address as a 32-bit number. */
  base: number;
  prefix: number;
}

export function parseCidr(s: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const addr = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { base: addr - (addr % size), prefix };
}

export function formatCidr(c: Cidr): string {
  const o = [24, 16, 8, 0].map((s) => Math.floor(c.base / 2 ** s) % 256);
  return `${o.join('.')}/${c.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const aEnd = a.base + 2 ** (32 - a.prefix);
  const bEnd = b.base + 2 ** (32 - b.prefix);
  return a.base < bEnd && b.base < aEnd;
}

/** Bridge device name of a network: `ctnr-` + 8 hex of its name (IFNAMSIZ allows 15 characters). */
export function bridgeName(network: string): string {
  return `ctnr-${createHash('sha256').update(network).digest('hex').slice(0, 8)}`;
}

/**
 * allocateSubnet over the pools `subnetPools(pool)` gives, in order: the first with a free /24. The error is the
 * first pool's (which says when one host network covers it all).
 */
export function allocateSubnetFrom(network: string, pool: string, taken: readonly Cidr[]): string {
  const pools = subnetPools(pool);
  let first: unknown;
  for (const p of pools) {
    try {
      return allocateSubnet(network, p, taken);
    } catch (err) {
      first ??= err;
    }
  }
  throw first;
}

/**
 * One /24 of `pool` for `network`, avoiding every subnet in `taken` (other ctnr networks, and every route
 * and address of this host, so a container address never shadows a real network). The start position is a
 * hash of the name: the same network tends to get the same subnet again.
 */
export function allocateSubnet(network: string, pool: string, taken: readonly Cidr[]): string {
  const p = parseCidr(pool);
  if (!p || p.prefix > 24) throw new CtnrError('RUNTIME_FAILED', `subnet pool "${pool}" is not an IPv4 CIDR of /24 or larger`);
  const count = 2 ** (24 - p.prefix);
  const start = createHash('sha256').update(network).digest().readUInt32BE(0) % count;
  for (let k = 0; k < count; k++) {
    const c: Cidr = { base: p.base + ((start + k) % count) * 256, prefix: 24 };
    if (!taken.some((t) => overlaps(c, t))) return formatCidr(c);
  }
  // Say why when one network of the host covers the whole pool (podman's default network takes 10.88.0.0/16).
  const cover = taken.find((t) => t.prefix <= p.prefix && overlaps(t, p));
  const why = cover ? `: ${formatCidr(cover)} on this host covers it; give the network hook another pool (ctnr:network-hook option subnetPool)` : '';
  throw new CtnrError('RUNTIME_FAILED', `no free /24 left in the subnet pool ${pool} for network ${network}${why}`);
}

export interface DefaultConfOptions {
  name: string;
  subnet: string;
  /** host-local's lease directory. */
  ipamDir: string;
  internal: boolean;
  firewall: boolean;
  /** The container asks for a MAC address: bridge takes it as `runtimeConfig.mac` (capability `mac`, CNI plugins ≥ 1.0). */
  mac?: boolean;
}

export function defaultConflist(o: DefaultConfOptions): Conflist {
  const plugins: Conflist['plugins'] = [
    {
      type: 'bridge',
      bridge: bridgeName(o.name),
      isGateway: true,
      // Masquerade outgoing traffic like docker does, except on `internal: true` networks.
      ipMasq: !o.internal,
      // A container must reach itself through its own published port.
      hairpinMode: true,
      capabilities: o.mac ? { ips: true, mac: true } : { ips: true },
      ipam: {
        type: 'host-local',
        dataDir: o.ipamDir,
        ranges: [[{ subnet: o.subnet }]],
        routes: o.internal ? [] : [{ dst: '0.0.0.0/0' }],
      },
    },
    // snat: without it a request to 127.0.0.1:PORT never reaches the container (NETWORKING.md §1).
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
  ];
  if (o.firewall) plugins.push({ type: 'firewall', backend: 'iptables' });
  return { cniVersion: '1.0.0', name: o.name, plugins };
}

export function ipamDirOf(networksDir: string): string {
  return path.join(networksDir, 'ipam');
}
