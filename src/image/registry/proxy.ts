import { createRequire } from 'node:module';

/**
 * HTTP proxies for the registry client, from the environment as docker and podman read it: `HTTPS_PROXY` for
 * https registries, `HTTP_PROXY` for plain-http ones (each also in lower case, which wins, as in curl and Go),
 * `NO_PROXY` for hosts to reach directly (names, `.suffix`, `*`, `host:port`). Loopback hosts (`localhost`,
 * 127.0.0.1, ::1) are always reached directly, as Go's proxy rules do (a local registry or mirror). A proxy URL may
 * carry credentials (`http://user:password@proxy:3128`): they go to the proxy only, and no message shows them.
 *
 * Node 20's fetch ignores these variables. With a proxy set, requests go through undici's own `fetch` (the built-in
 * fetch and an npm undici dispatcher do not mix across versions) over a dispatcher that applies these rules to each
 * request; undici is loaded only then, so pulls without a proxy and every other command do not load it. (undici's
 * own EnvHttpProxyAgent is experimental, and sends https through HTTP_PROXY when HTTPS_PROXY is unset.)
 */

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
  const http = pick('http_proxy');
  const https = pick('https_proxy');
  if (http === undefined && https === undefined) return undefined;
  const noProxy = pick('no_proxy');
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), ...(noProxy ? { noProxy } : {}) };
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
    const [name, entryPort] = splitHostPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  return proxy;
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

type Fetch = typeof fetch;

interface UndiciDispatcher {
  dispatch(opts: { origin?: string | URL }, handler: unknown): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}
interface Undici {
  fetch: Fetch;
  Dispatcher: new () => UndiciDispatcher;
  Agent: new () => UndiciDispatcher;
  ProxyAgent: new (uri: string) => UndiciDispatcher;
}

let routed: { fetch: Fetch; key: string } | undefined;

/**
 * The fetch to send `url` with, and the proxy it goes through: with proxy settings, undici's fetch over a dispatcher
 * that applies proxyFor to every request (the redirects to a blob's storage host too), each proxy through undici's
 * ProxyAgent (a CONNECT tunnel); else Node's own fetch.
 */
export function fetchFor(url: string, settings: ProxySettings | undefined): { fetch: Fetch; proxy?: string } {
  if (settings === undefined) return { fetch };
  const key = JSON.stringify(settings);
  if (routed?.key !== key) {
    const undici = createRequire(import.meta.url)('undici') as Undici;
    const direct = new undici.Agent();
    const viaProxy = new Map<string, UndiciDispatcher>();
    class ProxyRouter extends undici.Dispatcher {
      dispatch(opts: { origin?: string | URL }, handler: unknown): boolean {
        const proxy = opts.origin === undefined ? undefined : proxyFor(String(opts.origin), settings);
        if (proxy === undefined) return direct.dispatch(opts, handler);
        let agent = viaProxy.get(proxy);
        if (!agent) viaProxy.set(proxy, (agent = new undici.ProxyAgent(proxy)));
        return agent.dispatch(opts, handler);
      }
      async close(): Promise<void> {
        await Promise.all([direct.close(), ...[...viaProxy.values()].map((a) => a.close())]);
      }
      async destroy(): Promise<void> {
        await Promise.all([direct.destroy(), ...[...viaProxy.values()].map((a) => a.destroy())]);
      }
    }
    const dispatcher = new ProxyRouter();
    routed = { fetch: ((input: string, init?: RequestInit) => undici.fetch(input, { ...init, dispatcher } as RequestInit)) as Fetch, key };
  }
  const proxy = proxyFor(url, settings);
  return { fetch: routed.fetch, ...(proxy !== undefined ? { proxy } : {}) };
}
