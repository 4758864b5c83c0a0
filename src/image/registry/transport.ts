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

let routed: { fetch: Fetch; key: string } | undefined;

/** The fetch for `url`, and the proxy the request goes through (for messages). */
export function fetchFor(url: string, env: NodeJS.ProcessEnv = process.env): { fetch: Fetch; proxy?: string } {
  const settings = proxySettings(env);
  const proxy = proxyFor(url, settings);
  if (settings === undefined && registryTls(new URL(url).origin, env) === undefined) return { fetch };
  const key = JSON.stringify(settings ?? {});
  if (routed?.key !== key) routed = { fetch: routedFetch(settings, env), key };
  return { fetch: routed.fetch, ...(proxy !== undefined ? { proxy } : {}) };
}

function routedFetch(settings: ProxySettings | undefined, env: NodeJS.ProcessEnv): Fetch {
  const undici = createRequire(import.meta.url)('undici') as Undici;
  const agents = new Map<string, UndiciDispatcher>();
  const agentFor = (proxy: string | undefined, tls: RegistryTls | undefined): UndiciDispatcher => {
    const key = `${proxy ?? ''}\0${tls?.dir ?? ''}`;
    let agent = agents.get(key);
    if (!agent) {
      const tlsOptions = tls ? { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) } : undefined;
      agent = proxy !== undefined ? new undici.ProxyAgent({ uri: proxy, ...(tlsOptions ? { requestTls: tlsOptions } : {}) }) : new undici.Agent(tlsOptions ? { connect: tlsOptions } : {});
      agents.set(key, agent);
    }
    return agent;
  };
  class Router extends undici.Dispatcher {
    dispatch(opts: { origin?: string | URL }, handler: unknown): boolean {
      const origin = opts.origin === undefined ? undefined : new URL(String(opts.origin)).origin;
      const proxy = origin === undefined ? undefined : proxyFor(origin, settings);
      return agentFor(proxy, origin === undefined ? undefined : registryTls(origin, env)).dispatch(opts, handler);
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
