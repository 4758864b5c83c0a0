import { Readable } from 'node:stream';
import { VERSION } from '../../version.js';
import { CertsError, certsName } from './certs.js';
import { clientCertFailure } from './client-cert.js';
import { RegistryFailure } from './failure.js';
import { ProxyError, shownProxy } from './proxy.js';
import { fetchFor } from './transport.js';

/**
 * HTTP for the registry client, on Node's built-in fetch: it follows blob redirects to storage hosts and drops
 * our Authorization header when the redirect leaves the registry's origin, which is what must happen.
 * This layer knows timeouts, retries and how to say what went wrong; it knows nothing about auth.
 */

// Where the registry client imports it from (it lives apart so that ./client-cert.ts can make one too).
export { RegistryFailure };

export interface HttpPolicy {
  /** No response headers, or no body bytes while we wait for them, for this long: the request fails. */
  timeoutMs: number;
  /** First backoff for 5xx (doubles each time) and for 429 without Retry-After. */
  retryDelayMs: number;
  /** The longest Retry-After we wait for; a longer one fails at once as rate limiting. */
  maxRetryAfterMs: number;
}

export const USER_AGENT = `ctnr/${VERSION}`;

/** 5xx and dropped connections: tried this many more times. */
const SERVER_ERROR_RETRIES = 3;
/** 429: at most this many attempts in all (containers/image's backoffNumIterations). */
const RATE_LIMIT_ATTEMPTS = 5;

export interface Sent {
  res: Response;
  /** Aborts the request (and its body). */
  abort(): void;
}

const TIMED_OUT = Symbol('timed out');

/**
 * One request: fails when no response headers come within the timeout. `unverified`: the https origin of an insecure
 * registry, whose certificate is not checked (./transport.ts).
 */
export async function sendOnce(url: string, init: RequestInit, policy: HttpPolicy, unverified?: string): Promise<Sent> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMED_OUT), policy.timeoutMs);
  const headers = new Headers(init.headers);
  if (!headers.has('user-agent')) headers.set('user-agent', USER_AGENT);
  let via: ReturnType<typeof fetchFor>;
  try {
    via = fetchFor(url, process.env, unverified);
  } catch (err) {
    clearTimeout(timer);
    if (err instanceof CertsError || err instanceof ProxyError) throw new RegistryFailure('REGISTRY_FAILED', err.message);
    throw err;
  }
  try {
    const res = await via.fetch(url, { ...init, headers, signal: controller.signal, redirect: 'follow' });
    return { res, abort: () => controller.abort() };
  } catch (err) {
    // The insecure registry's own origin (a token service elsewhere is checked, and advised on, as any other).
    const insecure = unverified !== undefined && new URL(url).origin === new URL(unverified).origin;
    const failure = networkFailure(err, url, policy, via.proxy, insecure);
    throw (await clientCertFailure(url, failure, via.proxy, insecure)) ?? failure;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A request with the retries registries need: 5xx and dropped connections up to three more times with doubling
 * backoff; 429 honouring Retry-After (up to `maxRetryAfterMs`), at most five attempts. Other answers, including
 * 4xx, are returned to the caller. `send` makes a fresh request each time (headers may change between tries).
 */
export async function sendWithRetries(send: () => Promise<Sent>, policy: HttpPolicy): Promise<Sent> {
  let serverErrors = 0;
  let rateLimited = 0;
  for (;;) {
    let sent: Sent;
    try {
      sent = await send();
    } catch (err) {
      if (err instanceof RegistryFailure && transient(err) && serverErrors < SERVER_ERROR_RETRIES) {
        await sleep(policy.retryDelayMs * 2 ** serverErrors++);
        continue;
      }
      throw err;
    }
    const { res } = sent;
    if (res.status === 429) {
      rateLimited++;
      const asked = retryAfterMs(res.headers.get('retry-after'));
      await discard(sent);
      if (asked !== undefined && asked > policy.maxRetryAfterMs) {
        throw new RegistryFailure('REGISTRY_FAILED', `rate limited (429 Too Many Requests; the registry asks to wait ${Math.ceil(asked / 1000)} s, longer than the ${Math.ceil(policy.maxRetryAfterMs / 1000)} s we wait)`);
      }
      if (rateLimited >= RATE_LIMIT_ATTEMPTS) {
        throw new RegistryFailure('REGISTRY_FAILED', `rate limited (429 Too Many Requests, ${rateLimited} attempts)`);
      }
      await sleep(asked ?? policy.retryDelayMs * 2 ** (rateLimited - 1));
      continue;
    }
    if (res.status >= 500 && res.status <= 599) {
      if (serverErrors < SERVER_ERROR_RETRIES) {
        await discard(sent);
        await sleep(policy.retryDelayMs * 2 ** serverErrors++);
        continue;
      }
      const detail = await errorDetail(sent, policy);
      throw new RegistryFailure('REGISTRY_FAILED', `server error ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${detail} (${serverErrors + 1} attempts)`);
    }
    return sent;
  }
}

function transient(failure: RegistryFailure): boolean {
  return failure.reason.startsWith('connection dropped');
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Let go of a response we will not read (frees the connection). */
export async function discard(sent: Sent): Promise<void> {
  await sent.res.body?.cancel().catch(() => {});
}

/** The whole body, at most `limit` bytes, each read bounded by the timeout. */
export async function readBody(sent: Sent, policy: HttpPolicy, limit: number, what: string): Promise<Buffer> {
  const body = sent.res.body;
  if (body === null) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await readChunk(reader, sent, policy);
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new RegistryFailure('REGISTRY_FAILED', `${what} is larger than ${limit} bytes`);
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks);
}

/**
 * The body as a Node stream. The timeout runs only while the consumer waits for bytes (a slow disk on our side
 * is not a stalled registry); a stall aborts the request and errors the stream.
 */
export function bodyStream(sent: Sent, policy: HttpPolicy): Readable {
  const body = sent.res.body;
  if (body === null) return Readable.from([]);
  const reader = body.getReader();
  return new Readable({
    read() {
      readChunk(reader, sent, policy).then(
        ({ done, value }) => this.push(done ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
        (err: unknown) => this.destroy(err as Error),
      );
    },
    destroy(err, callback) {
      reader.cancel().catch(() => {});
      sent.abort();
      callback(err);
    },
  });
}

type Chunk = { done: true; value?: undefined } | { done: false; value: Uint8Array };

async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>, sent: Sent, policy: HttpPolicy): Promise<Chunk> {
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    sent.abort();
  }, policy.timeoutMs);
  try {
    return (await reader.read()) as Chunk;
  } catch (err) {
    if (stalled) throw new RegistryFailure('REGISTRY_FAILED', `the download stalled (no data for ${duration(policy.timeoutMs)})`);
    throw networkFailure(err, sent.res.url, policy);
  } finally {
    clearTimeout(timer);
  }
}

/** `: CODE message` from a registry's JSON error body (`{"errors":[{"code","message"}]}`), or nothing. */
export async function errorDetail(sent: Sent, policy: HttpPolicy): Promise<string> {
  let text: string;
  try {
    text = (await readBody(sent, policy, 64 * 1024, 'an error body')).toString('utf8');
  } catch {
    return '';
  }
  try {
    const first = (JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> }).errors?.[0];
    if (first === undefined) return '';
    const parts = [first.code, first.message].filter((p): p is string => typeof p === 'string' && p !== '');
    const line = parts.join(' ').replace(/\s+/g, ' ');
    return line === '' ? '' : `: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`;
  } catch {
    return '';
  }
}

/** Node's fetch wraps the socket's error in `cause` (an AggregateError when several addresses were tried). */
function errorCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
    const inner = e.errors?.find((x) => typeof (x as { code?: unknown })?.code === 'string') as { code: string } | undefined;
    if (inner) return inner.code;
  }
  return undefined;
}

const TLS_CODES = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH|EPROTO$)/;

/** A failed fetch as one reason a user can act on. `insecure`: to an insecure registry (no TLS advice then). */
export function networkFailure(err: unknown, url: string, policy: HttpPolicy, proxy?: string, insecure = false): RegistryFailure {
  if (err instanceof RegistryFailure) return err;
  const failure = failureOf(err, url, policy, proxy === undefined ? hostOf(url) : `${hostOf(url)} through the proxy ${shownProxy(proxy)}`, insecure);
  // A proxy's credentials never reach a message, whatever the error underneath says.
  const secret = proxy === undefined ? '' : proxyPassword(proxy);
  return secret === '' || !failure.reason.includes(secret) ? failure : new RegistryFailure(failure.code, failure.reason.split(secret).join('***'));
}

function proxyPassword(proxy: string): string {
  try {
    return decodeURIComponent(new URL(proxy).password);
  } catch {
    return '';
  }
}

function failureOf(err: unknown, url: string, policy: HttpPolicy, where: string, insecure: boolean): RegistryFailure {
  if (err === TIMED_OUT) return new RegistryFailure('REGISTRY_FAILED', `no answer from ${where} within ${duration(policy.timeoutMs)}`);
  const code = errorCode(err);
  const message = String((err as Error)?.message ?? err);
  const cause = String(((err as { cause?: Error })?.cause as Error | undefined)?.message ?? '');
  if (code === 'ECONNREFUSED') return new RegistryFailure('REGISTRY_FAILED', `connection refused by ${where}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA') {
    return new RegistryFailure('REGISTRY_FAILED', `cannot resolve ${where.includes(' through ') ? where : where.replace(/:\d+$/, '')} (DNS: ${code})`);
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return new RegistryFailure('REGISTRY_FAILED', `no answer from ${where} within ${duration(policy.timeoutMs)} (${code})`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new RegistryFailure('REGISTRY_FAILED', `${where} is unreachable (${code})`);
  if (code !== undefined && TLS_CODES.test(code)) {
    const notTls = code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO';
    if (insecure) return new RegistryFailure('REGISTRY_FAILED', `TLS failure with ${where}: ${code}`, notTls);
    const hint = notTls
      ? 'if it only speaks plain HTTP, set "insecure": true for it under registries in the ctnr config'
      : `if it uses a private CA, put the CA certificate in /etc/containers/certs.d/${certsName(new URL(url).origin)}/ca.crt`;
    return new RegistryFailure('REGISTRY_FAILED', `TLS failure with ${where}: ${code} (${hint})`, notTls);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
    return new RegistryFailure('REGISTRY_FAILED', `connection dropped by ${where} (${code})`);
  }
  // fetch refuses the ports browsers block (6000, 6665-6669, 10080, …) before connecting.
  if (cause === 'bad port') return new RegistryFailure('REGISTRY_FAILED', `port ${new URL(url).port} of ${where} is on the fetch standard's blocked-port list; serve the registry on another port`);
  return new RegistryFailure('REGISTRY_FAILED', `request to ${where} failed: ${code ?? (cause || message)}`);
}

/**
 * What a TLS-only registry does to plain HTTP (hangs up, or answers 400): for a mirror named with `http://` (the only
 * plain HTTP ctnr starts with), a hint that this was asked for; else nothing (an insecure registry reached plain
 * HTTP only after HTTPS failed, and its message says how HTTPS failed).
 */
export function plainHttpHint(url: string, mirrorSaysHttp: boolean): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' || !mirrorSaysHttp) return '';
  return ` (ctnr speaks plain HTTP to it, as the mirror is named http://${u.host}; if it serves HTTPS, name it without http://)`;
}

/** `15 s`, `300 ms`. */
function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
