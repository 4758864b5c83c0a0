import type { Credentials } from '../auth.js';
import type { Endpoint } from './endpoint.js';
import { parseChallenges, pickChallenge, type Challenge } from './challenge.js';
import { discard, plainHttpHint, readBody, RegistryFailure, sendOnce, sendWithRetries, type HttpPolicy, type Sent } from './http.js';

/**
 * Talking to one endpoint as one user, the way containers/image's dockerClient does: ping `/v2/` once and keep
 * its `WWW-Authenticate` challenge; answer Basic with the credentials, Bearer with a token from the challenge's
 * realm for the request's scope (anonymous when there are no credentials), cached per scope until it expires.
 * A 401 gets one more try with a fresh token (and the scope the 401 asked for), then it is the user's problem.
 * An insecure endpoint is pinged over HTTPS without checking its certificate and, when that fails short of an HTTP
 * answer, over plain HTTP: the first that answers is where the session's requests go (containers/image's
 * detectProperties; docker tries the same two).
 */

export interface SessionOptions {
  policy: HttpPolicy;
  credentials: (registry: string, repository: string) => Promise<Credentials | undefined>;
}

/** Tokens are reused until shortly before they expire; servers that say nothing get containers/image's minimum. */
const MIN_TOKEN_LIFETIME_S = 60;
const TOKEN_EXPIRY_MARGIN_MS = 5_000;
const MAX_TOKEN_BODY = 1024 * 1024;
/** How long the HTTPS try of an insecure registry waits (a plain-HTTP server may say nothing to a TLS hello). */
const HTTPS_TRY_TIMEOUT_MS = 5_000;

interface Token {
  value: string;
  expiresAt: number;
}

export class Session {
  private pinged: Promise<void> | undefined;
  /** undefined: the registry asked for no authentication (so far). */
  private challenge: Challenge | undefined;
  private credentials: Promise<Credentials | undefined> | undefined;
  private readonly tokens = new Map<string, Token>();
  /** How many tokens this session fetched (tests read it). */
  tokenRequests = 0;

  readonly endpoint: Endpoint;
  private readonly opts: SessionOptions;
  /** Where requests go: the endpoint's origin, or plain HTTP once an insecure endpoint's HTTPS failed. */
  private origin: string;
  /** The https origin whose certificate is not checked (an insecure endpoint's), for ./transport.ts. */
  private readonly unverified: string | undefined;

  constructor(endpoint: Endpoint, opts: SessionOptions) {
    this.endpoint = endpoint;
    this.opts = opts;
    this.origin = endpoint.origin;
    this.unverified = endpoint.insecure && endpoint.origin.startsWith('https:') ? endpoint.origin : undefined;
  }

  /** `scope` is `repository:NAME:pull`, or '' for none (a login check). */
  async get(path: string, headers: Record<string, string>, scope: string): Promise<Sent> {
    await this.ping();
    const first = await this.send(path, headers, scope);
    if (first.res.status !== 401) return first;

    const asked = parseChallenges(first.res.headers.get('www-authenticate'));
    await discard(first);
    const fresh = pickChallenge(asked);
    if (fresh !== undefined) this.challenge = fresh;
    // A 401 with a token means it expired, was revoked, or lacks the scope the registry names: fetch a new one.
    this.tokens.delete(scope);
    const extraScope = fresh?.params.error === 'insufficient_scope' && fresh.params.scope && fresh.params.scope !== scope ? fresh.params.scope : undefined;
    const second = await this.send(path, headers, scope, extraScope);
    if (second.res.status !== 401) return second;

    const final = parseChallenges(second.res.headers.get('www-authenticate'));
    await discard(second);
    throw await this.refused(final, scope);
  }

  /** Whether the credentials are accepted at `/v2/` (what `docker login` checks). */
  async checkLogin(): Promise<void> {
    await this.ping();
    if (this.challenge === undefined) return; // a registry without authentication accepts everyone
    const sent = await this.send('/v2/', {}, '');
    await discard(sent);
    if (sent.res.status === 401 || sent.res.status === 403) throw await this.refused(parseChallenges(sent.res.headers.get('www-authenticate')), '');
    if (sent.res.status !== 200) throw new RegistryFailure('REGISTRY_FAILED', `GET /v2/ answered ${sent.res.status} with credentials`);
  }

  /** Use these credentials instead of looking them up. */
  useCredentials(credentials: Credentials): void {
    this.credentials = Promise.resolve(credentials);
  }

  private ping(): Promise<void> {
    this.pinged ??= (async () => {
      const policy = this.opts.policy;
      // A mirror named http://: if it turns out to speak HTTPS, the hint that plain HTTP was asked for.
      const mirrorSaysHttp = this.endpoint.origin.startsWith('http:');
      let overHttps: string | undefined;
      let sent: Sent | undefined;
      if (this.unverified !== undefined && this.origin === this.unverified) {
        try {
          sent = await sendOnce(`${this.origin}/v2/`, {}, { ...policy, timeoutMs: Math.min(policy.timeoutMs, HTTPS_TRY_TIMEOUT_MS) }, this.unverified);
          if (sent.res.status === 429 || sent.res.status >= 500) {
            await discard(sent);
            sent = undefined; // an HTTPS registry having trouble: asked again below, with the retries
          }
        } catch (err) {
          if (!(err instanceof RegistryFailure)) throw err;
          // A server that answers a TLS hello in plain text speaks plain HTTP: how HTTPS failed says nothing more.
          overHttps = err.notTls ? undefined : err.reason;
          this.origin = `http://${this.endpoint.host}`;
        }
      }
      try {
        sent ??= await sendWithRetries(() => sendOnce(`${this.origin}/v2/`, {}, policy, this.unverified), policy);
      } catch (err) {
        if (!(err instanceof RegistryFailure)) throw err;
        throw new RegistryFailure(err.code, `${bothWays(overHttps, err.reason)}${plainHttpHint(this.origin, mirrorSaysHttp)}`);
      }
      await discard(sent);
      if (sent.res.status === 401) this.challenge = pickChallenge(parseChallenges(sent.res.headers.get('www-authenticate')));
      else if (sent.res.status !== 200) {
        const hint = sent.res.status === 400 ? plainHttpHint(this.origin, mirrorSaysHttp) : '';
        throw new RegistryFailure('REGISTRY_FAILED', bothWays(overHttps, `${this.endpoint.host} does not answer as a registry (GET /v2/ gave ${sent.res.status})${hint}`));
      }
    })();
    // A failed ping is tried again by the next request rather than remembered (HTTPS first again).
    this.pinged.catch(() => {
      this.pinged = undefined;
      this.origin = this.endpoint.origin;
    });
    return this.pinged;
  }

  private send(path: string, headers: Record<string, string>, scope: string, extraScope?: string): Promise<Sent> {
    const url = `${this.origin}${path}`;
    return sendWithRetries(async () => {
      const authorization = await this.authorization(scope, extraScope);
      return sendOnce(url, { headers: authorization ? { ...headers, authorization } : headers }, this.opts.policy, this.unverified);
    }, this.opts.policy);
  }

  private lookupCredentials(): Promise<Credentials | undefined> {
    this.credentials ??= this.opts.credentials(this.endpoint.registry, this.endpoint.repository);
    return this.credentials;
  }

  private async authorization(scope: string, extraScope?: string): Promise<string | undefined> {
    const challenge = this.challenge;
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') {
      const creds = await this.lookupCredentials();
      return creds && 'username' in creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}` : undefined;
    }
    const key = extraScope ? `${scope} ${extraScope}` : scope;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.value}`;
    const token = await this.fetchToken(challenge, [scope, extraScope].filter((s): s is string => !!s));
    this.tokens.set(key, token);
    return `Bearer ${token.value}`;
  }

  /**
   * The token flow of the distribution spec: GET realm?service=…&scope=… with Basic credentials when we have them;
   * an identity (refresh) token is exchanged with a POST of an OAuth2 refresh_token grant instead.
   */
  private async fetchToken(challenge: Challenge, scopes: string[]): Promise<Token> {
    const realm = challenge.params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new RegistryFailure('REGISTRY_AUTH', `${this.endpoint.host} asked for a bearer token without a usable realm URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RegistryFailure('REGISTRY_AUTH', `${this.endpoint.host} named a token realm that is not http(s)`);
    const creds = await this.lookupCredentials();
    const service = challenge.params.service;
    let init: RequestInit;
    if (creds && 'identityToken' in creds) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'ctnr' });
      if (service) form.set('service', service);
      for (const s of scopes) form.append('scope', s);
      init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds) {
        url.searchParams.set('account', creds.username);
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
      }
      init = { headers };
    }
    this.tokenRequests++;
    const policy = this.opts.policy;
    let sent: Sent;
    try {
      sent = await sendWithRetries(() => sendOnce(url.toString(), init, policy, this.unverified), policy);
    } catch (err) {
      if (err instanceof RegistryFailure) throw new RegistryFailure(err.code, `getting a token from ${url.host}: ${err.reason}`);
      throw err;
    }
    if (sent.res.status === 401 || sent.res.status === 403) {
      await discard(sent);
      throw new RegistryFailure('REGISTRY_AUTH', creds
        ? `the token service ${url.host} rejected the credentials for ${this.endpoint.registry} (${sent.res.status})`
        : `the token service ${url.host} refused anonymous access (${sent.res.status}); log in with: ctnr login ${this.endpoint.registry}`);
    }
    if (sent.res.status !== 200) {
      await discard(sent);
      throw new RegistryFailure('REGISTRY_FAILED', `the token service ${url.host} answered ${sent.res.status}`);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      body = JSON.parse((await readBody(sent, policy, MAX_TOKEN_BODY, 'the token response')).toString('utf8')) as typeof body;
    } catch (err) {
      if (err instanceof RegistryFailure) throw err;
      throw new RegistryFailure('REGISTRY_FAILED', `the token service ${url.host} answered with something that is not JSON`);
    }
    const value = typeof body.token === 'string' && body.token ? body.token : body.access_token;
    if (typeof value !== 'string' || value === '') throw new RegistryFailure('REGISTRY_FAILED', `the token service ${url.host} answered without a token`);
    const lifetime = Math.max(MIN_TOKEN_LIFETIME_S, typeof body.expires_in === 'number' ? body.expires_in : 0);
    const issued = typeof body.issued_at === 'string' ? Date.parse(body.issued_at) : NaN;
    const start = Number.isNaN(issued) || issued > Date.now() ? Date.now() : issued;
    return { value, expiresAt: start + lifetime * 1000 - TOKEN_EXPIRY_MARGIN_MS };
  }

  /** The 401 that survived a fresh token, said as what the user can do about it. */
  private async refused(challenges: Challenge[], scope: string): Promise<RegistryFailure> {
    const creds = await this.lookupCredentials().catch(() => undefined);
    const registry = this.endpoint.registry;
    const insufficient = challenges.find((c) => c.params.error === 'insufficient_scope');
    if (insufficient !== undefined) {
      const wanted = insufficient.params.scope || scope;
      return new RegistryFailure('REGISTRY_AUTH', `access denied (insufficient_scope${wanted ? ` for ${wanted}` : ''}): the repository does not exist or ${creds ? 'these credentials may not pull it' : `it needs credentials (ctnr login ${registry})`}`);
    }
    if (!creds) return new RegistryFailure('REGISTRY_AUTH', `authentication required (401) and no credentials found for ${registry}; log in with: ctnr login ${registry}`);
    return new RegistryFailure('REGISTRY_AUTH', `${registry} rejected the credentials (401)`);
  }
}

/** An insecure registry that failed over HTTPS and then over plain HTTP: both reasons, or one when they are the same. */
function bothWays(overHttps: string | undefined, overHttp: string): string {
  if (overHttps === undefined || overHttps === overHttp) return overHttp;
  return `over HTTPS: ${overHttps}; over plain HTTP: ${overHttp}`;
}
