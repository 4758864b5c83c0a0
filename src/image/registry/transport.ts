import { createRequire } from 'node:module';
import { registryTls, type RegistryTls } from './certs.js';
import { proxyFor, proxySettings, type ProxySettings } from './proxy.js';

/**
 * How a registry request travels: Node's own fetch, unless an HTTP proxy is set (./proxy.ts) or the registry has a
 * certs.d directory (./certs.ts). Then undici's fetch (the built-in fetch and an npm undici dispatcher do not mix
 * across undici versions) over a dispatcher that decides for every request — the redirects to a blob's storage host
 * too — whether it goes through a proxy (undici's ProxyAgent: a CONNECT tunnel) and with which TLS trust. undici is
 * loaded only then: a pull without either, and every other command, does not load it. (undici's own
 * EnvHttpProxyAgent is experimental, and sends https through HTTP_PROXY when HTTPS_PROXY is unset.)
 * An insecure registry (./endpoint.ts) is reached over such a dispatcher too, one made for it that leaves its origin's
 * certificate unchecked and no other's: a redirect to another host is checked as always.
 */

type Fetch = typeof fetch;

interface UndiciDispatcher {
  dispatch(opts: { origin?: string | URL }, handler: unknown): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}
interface Undici {
  fetch: Fetch;
  Dispatcher: new () => UndiciDispatcher;
  Agent: new (opts?: Record<string, unknown>) => UndiciDispatcher;
  ProxyAgent: new (opts: Record<string, unknown>) => UndiciDispatcher;
}

/** One routed fetch per proxy settings and unchecked origin (each with its own connections). */
const routed = new Map<string, Fetch>();

/**
 * The fetch for `url`, and the proxy the request goes through (for messages). `unverified`: the https origin of an
 * insecure registry, whose certificate that fetch does not check (and no other origin's: a later request made
 * without naming it, in this process, is checked as always).
 */
export function fetchFor(url: string, env: NodeJS.ProcessEnv = process.env, unverified?: string): { fetch: Fetch; proxy?: string } {
  const settings = proxySettings(env);
  const proxy = proxyFor(url, settings);
  const unchecked = unverified !== undefined && unverified.startsWith('https:') ? new URL(unverified).origin : undefined;
  if (settings === undefined && unchecked === undefined && registryTls(new URL(url).origin, env) === undefined) return { fetch };
  const key = `${JSON.stringify(settings ?? {})}\0${unchecked ?? ''}`;
  let routedFetch = routed.get(key);
  if (!routedFetch) {
    routedFetch = makeRoutedFetch(settings, env, unchecked);
    routed.set(key, routedFetch);
  }
  return { fetch: routedFetch, ...(proxy !== undefined ? { proxy } : {}) };
}

function makeRoutedFetch(settings: ProxySettings | undefined, env: NodeJS.ProcessEnv, unchecked: string | undefined): Fetch {
  const undici = createRequire(import.meta.url)('undici') as Undici;
  const agents = new Map<string, UndiciDispatcher>();
  const agentFor = (proxy: string | undefined, tls: RegistryTls | undefined, check: boolean): UndiciDispatcher => {
    const key = `${proxy ?? ''}\0${tls?.dir ?? ''}\0${check}`;
    let agent = agents.get(key);
    if (!agent) {
      const tlsOptions = tls || !check
        ? { ...(tls?.ca ? { ca: tls.ca } : {}), ...(tls?.cert ? { cert: tls.cert, key: tls.key } : {}), ...(check ? {} : { rejectUnauthorized: false }) }
        : undefined;
      agent = proxy !== undefined ? new undici.ProxyAgent({ uri: proxy, ...(tlsOptions ? { requestTls: tlsOptions } : {}) }) : new undici.Agent(tlsOptions ? { connect: tlsOptions } : {});
      agents.set(key, agent);
    }
    return agent;
  };
  class Router extends undici.Dispatcher {
    dispatch(opts: { origin?: string | URL }, handler: unknown): boolean {
      const origin = opts.origin === undefined ? undefined : new URL(String(opts.origin)).origin;
      const proxy = origin === undefined ? undefined : proxyFor(origin, settings);
      const check = origin === undefined || origin !== unchecked;
      return agentFor(proxy, origin === undefined ? undefined : registryTls(origin, env), check).dispatch(opts, handler);
    }
    async close(): Promise<void> {
      await Promise.all([...agents.values()].map((a) => a.close()));
    }
    async destroy(): Promise<void> {
      await Promise.all([...agents.values()].map((a) => a.destroy()));
    }
  }
  const dispatcher = new Router();
  return ((input: string, init?: RequestInit) => undici.fetch(input, { ...init, dispatcher } as RequestInit)) as Fetch;
}
