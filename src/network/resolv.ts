import { BlockList, isIP } from 'node:net';
import { remembered } from '../engine/remember.js';

/** What a resolv.conf says (only the lines a container's resolver uses). */
export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** Parse resolv.conf text: `nameserver`, `search`/`domain` (the last one wins, as in glibc), `options`. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const line of text.split('\n')) {
    const words = line.replace(/[#;].*$/, '').trim().split(/\s+/).filter(Boolean);
    const [key, ...rest] = words;
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

/** 127.0.0.0/8 and ::1: a resolver on the host's loopback is unreachable from a container's own network. */
// Built on first use: only services whose resolv.conf comes from the host need it.
let loopbackList: BlockList | undefined;
function loopback(): BlockList {
  if (!loopbackList) {
    loopbackList = new BlockList();
    loopbackList.addSubnet('127.0.0.0', 8, 'ipv4');
    loopbackList.addAddress('::1', 'ipv6');
  }
  return loopbackList;
}

/** Remembered: the same few host nameservers are asked about for every service, and BlockList.check is not cheap. */
export const isLoopback: (ip: string) => boolean = remembered((ip) => {
  const bare = ip.replace(/%.*$/, ''); // drop an IPv6 zone (fe80::1%eth0)
  const family = isIP(bare);
  return family !== 0 && loopback().check(bare, family === 4 ? 'ipv4' : 'ipv6');
}, 256);

/** docker's fallback when the host has no usable nameserver. */
export const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

/**
 * The container's resolv.conf (the rule, deterministic given the same host file):
 * - nameservers: `dns` if given; else the host file's nameservers minus loopback ones (127.0.0.0/8, ::1: they
 *   point at the host's own resolver, which a container network cannot reach); if none remain, docker's
 *   fallback 8.8.8.8 and 8.8.4.4 (with host networking, `keepLoopback`, the host's resolvers are all kept);
 * - search: `dns_search` if given (`.` alone means none), else the host's search domains; ONE `search` line;
 * - options: `dns_opt` if given, else the host's options; one `options` line.
 */
export function containerResolvConf(
  host: ResolvConf,
  dns: readonly string[] | undefined,
  search: readonly string[] | undefined,
  opts: readonly string[] | undefined,
  how: { keepLoopback?: boolean } = {},
): ResolvConf {
  let nameservers = dns?.length ? [...dns] : host.nameservers.filter((ns) => how.keepLoopback || !isLoopback(ns));
  if (nameservers.length === 0) nameservers = [...FALLBACK_NAMESERVERS];
  const domains = search?.length ? (search.length === 1 && search[0] === '.' ? [] : [...search]) : [...host.search];
  const options = opts?.length ? [...opts] : [...host.options];
  return { nameservers, search: [...new Set(domains)], options: [...new Set(options)] };
}

export function renderResolvConf(r: ResolvConf): string {
  const lines = r.nameservers.map((ns) => `nameserver ${ns}`);
  if (r.search.length > 0) lines.push(`search ${r.search.join(' ')}`);
  if (r.options.length > 0) lines.push(`options ${r.options.join(' ')}`);
  return lines.join('\n') + '\n';
}
