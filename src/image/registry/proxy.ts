/**
 * HTTP proxies for the registry client, from the environment as docker and podman read it: `HTTPS_PROXY` for
 * https registries, `HTTP_PROXY` for plain-http ones (each also in lower case, which wins, as in curl and Go),
 * `NO_PROXY` for hosts to reach directly (names, `.suffix`, `*`, `host:port`, IPv4 `a.b.c.d/n`). A proxy without a
 * scheme is an http:// one. Loopback hosts (`localhost`,
 * 127.0.0.1, ::1) are always reached directly, as Go's proxy rules do (a local registry or mirror). A proxy URL may
 * carry credentials (`http://user:password@proxy:3128`): they go to the proxy only, and no message shows them.
 *
 * Node 20's fetch ignores these variables: ./transport.ts sends requests through the proxy proxyFor names.
 */

/** A proxy variable ctnr cannot use (a SOCKS proxy, a value that is no URL). */
export class ProxyError extends Error {}

export interface ProxySettings {
  http?: string;
  https?: string;
  noProxy?: string;
}

/** The proxy variables of `env` (lower case first), or undefined when neither proxy is set. */
export function proxySettings(env: NodeJS.ProcessEnv = process.env): ProxySettings | undefined {
  const pick = (name: string) => {
    const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
    return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
  };
  const http = proxyUrl('HTTP_PROXY', pick('http_proxy'));
  const https = proxyUrl('HTTPS_PROXY', pick('https_proxy'));
  if (http === undefined && https === undefined) return undefined;
  const noProxy = pick('no_proxy');
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), ...(noProxy ? { noProxy } : {}) };
}

/** `proxy.corp:3128` means `http://proxy.corp:3128` (as in Go and curl); a scheme other than http(s) is an error. */
function proxyUrl(variable: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ProxyError(`${variable} is not a proxy URL (http://[user:password@]host:port)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ProxyError(`${variable}: ${parsed.protocol.slice(0, -1)} proxies are not supported (ctnr tunnels through HTTP proxies: http:// or https://)`);
  }
  return url;
}

/** Hosts never sent through a proxy, whatever NO_PROXY says (and all of 127.0.0.0/8). */
const LOOPBACK = ['localhost', '::1'];

/** The proxy a request to `url` goes through under `settings`, or undefined for a direct one. */
export function proxyFor(url: string, settings: ProxySettings | undefined): string | undefined {
  if (!settings) return undefined;
  const u = new URL(url);
  const proxy = u.protocol === 'https:' ? settings.https : settings.http;
  if (proxy === undefined) return undefined;
  const host = u.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (LOOPBACK.includes(host) || host.startsWith('127.')) return undefined;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  for (const raw of (settings.noProxy ?? '').split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return undefined;
    if (inCidr(host, entry)) return undefined;
    const [name, entryPort] = splitHostPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  return proxy;
}

/** An IPv4 host within an IPv4 `a.b.c.d/n` entry. */
function inCidr(host: string, entry: string): boolean {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(entry);
  const ip = ipv4(host);
  const net = m ? ipv4(m[1]!) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (ip === undefined || net === undefined || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((ip & mask) >>> 0) === ((net & mask) >>> 0);
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function splitHostPort(entry: string): [string, string | undefined] {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (v6) return [v6[1]!, v6[2]];
  const m = /^([^:]+):(\d+)$/.exec(entry);
  return m ? [m[1]!, m[2]] : [entry, undefined];
}

/** A proxy URL as messages may show it: without its credentials. */
export function shownProxy(proxy: string): string {
  try {
    const u = new URL(proxy);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the proxy';
  }
}
