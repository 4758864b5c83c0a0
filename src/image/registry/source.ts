import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CtnrError, isCtnrError, type ErrorCode } from '../../engine/errors.js';
import { findCredentials, type Credentials } from '../auth.js';
import { referenceString } from '../reference.js';
import { MEDIA, type Descriptor, type ImageReference, type PullProgress, type RegistriesConfig } from '../types.js';
import { endpointsFor, registryEndpoint, type Endpoint } from './endpoint.js';
import { bodyStream, discard, errorDetail, readBody, RegistryFailure, type HttpPolicy, type Sent } from './http.js';
import { Session } from './session.js';

export interface RegistryOptions {
  /** Mirrors and plain-HTTP registries, keyed by registry host[:port] as references name them. */
  registries?: RegistriesConfig;
  /** Default: findCredentials (auth.json, docker's config.json, credential helpers). */
  credentials?: (registry: string, repository: string) => Promise<Credentials | undefined>;
  /** No response headers, or no body bytes while waiting for them, for this long fails the request. Default 15000. */
  timeoutMs?: number;
  /** First backoff for 5xx (doubled each retry) and for 429 without Retry-After. Default 1000. */
  retryDelayMs?: number;
  /** The longest Retry-After honoured on 429; longer fails at once. Default 60000. */
  maxRetryAfterMs?: number;
  /**
   * Progress for the caller that draws it. The registry client sends none itself: the puller says `resolve`
   * (with source.location) and the store the blob events, so nothing is reported twice.
   */
  onProgress?: (e: PullProgress) => void;
}

export interface ManifestResponse {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export interface RegistrySource {
  /** Where this source reads from, e.g. '127.0.0.1:5000/m/library/hello' (mirror path prefix + repository). */
  readonly location: string;
  readonly reference: ImageReference;
  /**
   * By tag or digest. The Accept header lists OCI and docker v2s2 manifests and indexes. Fetched by digest, the
   * bytes are verified (IMAGE_DIGEST); by tag, `digest` is the sha256 of the bytes.
   */
  getManifest(tagOrDigest: string): Promise<ManifestResponse>;
  /**
   * The blob's bytes from `offset` on (a Range request when offset > 0). The result's `offset` is where the
   * stream really starts: 0 when the server ignored the Range. No digest check here (the store does it).
   */
  openBlob(desc: Descriptor, offset?: number): Promise<{ stream: Readable; offset: number }>;
}

const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');
/** containers/image's limit for a manifest body. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const TAG = /^\w[\w.-]{0,127}$/;

export function httpPolicy(opts: RegistryOptions): HttpPolicy {
  return { timeoutMs: opts.timeoutMs ?? 15_000, retryDelayMs: opts.retryDelayMs ?? 1_000, maxRetryAfterMs: opts.maxRetryAfterMs ?? 60_000 };
}

export function sessionFor(endpoint: Endpoint, opts: RegistryOptions): Session {
  const credentials = opts.credentials ?? (async (registry: string, repository: string) => (await findCredentials(registry, repository))?.credentials);
  return new Session(endpoint, { policy: httpPolicy(opts), credentials });
}

/** A failure at one location as `location: reason`, keeping the code (a CtnrError from a credentials file too). */
function failureAt(endpoint: Endpoint, err: unknown): { code: ErrorCode; text: string } {
  const where = endpoint.mirror ? `mirror ${endpoint.location}` : endpoint.location;
  if (err instanceof RegistryFailure) {
    // Docker Hub limits anonymous pulls per address much more than pulls of a logged-in user.
    const hint = endpoint.registry === 'docker.io' && err.reason.startsWith('rate limited') ? '; logged-in users get a higher limit (ctnr login docker.io)' : '';
    return { code: err.code, text: `${where}: ${err.reason}${hint}` };
  }
  if (isCtnrError(err)) return { code: err.code, text: `${where}: ${err.message}` };
  throw err;
}

function pullError(ref: ImageReference, failures: Array<{ code: ErrorCode; text: string }>): CtnrError {
  // The registry itself is tried last and is the authority on the image: its failure decides the code.
  const code = failures[failures.length - 1]!.code;
  return new CtnrError(code, `cannot pull ${referenceString(ref)}: ${failures.map((f) => f.text).join('; ')}`);
}

class Source implements RegistrySource {
  readonly location: string;
  readonly reference: ImageReference;
  private readonly repoPath: string;
  private readonly session: Session;
  private readonly policy: HttpPolicy;

  constructor(reference: ImageReference, session: Session, policy: HttpPolicy) {
    this.reference = reference;
    this.session = session;
    this.policy = policy;
    this.location = session.endpoint.location;
    this.repoPath = session.endpoint.repository;
  }

  get endpoint(): Endpoint {
    return this.session.endpoint;
  }

  getManifest(tagOrDigest: string): Promise<ManifestResponse> {
    return this.wrap(() => this.fetchManifest(tagOrDigest));
  }

  openBlob(desc: Descriptor, offset = 0): Promise<{ stream: Readable; offset: number }> {
    return this.wrap(() => this.fetchBlob(desc, offset));
  }

  /** Manifest without the reference-naming wrapper: openSource names every location itself. */
  async fetchManifest(tagOrDigest: string): Promise<ManifestResponse> {
    const byDigest = DIGEST.test(tagOrDigest);
    if (!byDigest && !TAG.test(tagOrDigest)) throw new CtnrError('IMAGE_REFERENCE', `"${tagOrDigest}" is neither a tag nor a digest`);
    const sent = await this.session.get(`/v2/${this.repoPath}/manifests/${tagOrDigest}`, { accept: MANIFEST_ACCEPT }, this.scope());
    await this.expectOk(sent, byDigest ? `manifest ${tagOrDigest}` : `tag "${tagOrDigest}"`);
    const bytes = await readBody(sent, this.policy, MAX_MANIFEST_BYTES, 'the manifest');
    const [algorithm] = byDigest ? tagOrDigest.split(':') : ['sha256'];
    const digest = `${algorithm}:${createHash(algorithm!).update(bytes).digest('hex')}`;
    if (byDigest && digest !== tagOrDigest) {
      throw new CtnrError('IMAGE_DIGEST', `cannot pull ${referenceString(this.reference)}: ${this.location} sent a manifest whose digest is ${digest}, not the ${tagOrDigest} asked for`);
    }
    return { bytes, mediaType: manifestMediaType(sent.res.headers.get('content-type'), bytes), digest };
  }

  private async fetchBlob(desc: Descriptor, offset: number): Promise<{ stream: Readable; offset: number }> {
    if (!DIGEST.test(desc.digest)) throw new CtnrError('IMAGE_INVALID', `"${desc.digest}" is not a digest`);
    const path = `/v2/${this.repoPath}/blobs/${desc.digest}`;
    // Identity encoding: a storage host that gzips on the fly would make fetch hand us other bytes than the digest's.
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    let sent = await this.session.get(path, headers, this.scope());
    if (sent.res.status === 416 && offset > 0) {
      // Nothing at that offset (the partial file is as long as the blob or longer): start again from 0.
      await discard(sent);
      delete headers.range;
      sent = await this.session.get(path, headers, this.scope());
    }
    let start = 0;
    if (sent.res.status === 206) {
      const range = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(sent.res.headers.get('content-range') ?? '');
      start = range ? Number(range[1]) : NaN;
      if (!(start <= offset)) {
        await discard(sent);
        throw new RegistryFailure('REGISTRY_FAILED', `answered the range request for blob ${desc.digest} with Content-Range "${sent.res.headers.get('content-range') ?? ''}"`);
      }
    } else {
      await this.expectOk(sent, `blob ${desc.digest}`);
    }
    return { stream: bodyStream(sent, this.policy), offset: start };
  }

  private scope(): string {
    return `repository:${this.repoPath}:pull`;
  }

  /** 200 (or 206) passes; anything else becomes the failure it means. */
  private async expectOk(sent: Sent, what: string): Promise<void> {
    const status = sent.res.status;
    if (status === 200) return;
    const detail = await errorDetail(sent, this.policy);
    if (status === 404) throw new RegistryFailure('IMAGE_NOT_FOUND', `${what} not found (404${detail})`);
    if (status === 403) throw new RegistryFailure('REGISTRY_AUTH', `access to ${what} forbidden (403${detail})`);
    throw new RegistryFailure('REGISTRY_FAILED', `unexpected answer ${status} for ${what}${detail}`);
  }

  private async wrap<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (isCtnrError(err) && (err.code === 'IMAGE_DIGEST' || err.code === 'IMAGE_REFERENCE' || err.code === 'IMAGE_INVALID')) throw err;
      throw pullError(this.reference, [failureAt(this.endpoint, err)]);
    }
  }
}

/**
 * The media type of a manifest: the Content-Type, unless it is missing or generic (some registries and static
 * mirrors send application/json), then the document's own `mediaType`, then its shape.
 */
function manifestMediaType(contentType: string | null, bytes: Buffer): string {
  const header = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (header !== '' && header !== 'application/json' && header !== 'text/plain' && header !== 'application/octet-stream') return header;
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown; config?: unknown };
    if (typeof doc.mediaType === 'string' && doc.mediaType !== '') return doc.mediaType;
    if (Array.isArray(doc.manifests)) return MEDIA.ociIndex;
    if (doc.config !== undefined) return MEDIA.ociManifest;
  } catch {
    // not JSON: the caller's parser says so with the image named
  }
  return header || 'application/octet-stream';
}

/**
 * Try each mirror of `ref.registry` in order, then the registry itself; the first that serves the manifest (by
 * `ref.digest ?? ref.tag`) is the source. When all fail, one error lists every location with its reason; its code
 * is the registry's own failure (IMAGE_NOT_FOUND, REGISTRY_AUTH or REGISTRY_FAILED).
 */
export async function openSource(ref: ImageReference, opts: RegistryOptions = {}): Promise<{ source: RegistrySource; manifest: ManifestResponse }> {
  const wanted = ref.digest ?? ref.tag ?? 'latest';
  const failures: Array<{ code: ErrorCode; text: string }> = [];
  let endpoints: Endpoint[];
  try {
    endpoints = endpointsFor(ref, opts.registries);
  } catch (err) {
    throw isCtnrError(err) ? new CtnrError(err.code, `cannot pull ${referenceString(ref)}: ${err.message}`) : err;
  }
  for (const endpoint of endpoints) {
    const source = new Source(ref, sessionFor(endpoint, opts), httpPolicy(opts));
    try {
      const manifest = await source.fetchManifest(wanted);
      return { source, manifest };
    } catch (err) {
      // A mirror with the wrong bytes for a digest is one more failed location; the registry's own is final.
      if (isCtnrError(err) && err.code === 'IMAGE_DIGEST') {
        if (!endpoint.mirror) throw err;
        failures.push({ code: err.code, text: `mirror ${endpoint.location}: sent a manifest with the wrong digest` });
        continue;
      }
      if (isCtnrError(err) && err.code === 'IMAGE_REFERENCE') throw err;
      failures.push(failureAt(endpoint, err));
    }
  }
  throw pullError(ref, failures);
}

/** `ctnr login`: are these credentials accepted at the registry's /v2/ (following a bearer challenge)? */
export async function checkLogin(registry: string, credentials: Credentials, opts: RegistryOptions = {}): Promise<void> {
  const endpoint = registryEndpoint(registry, '', opts.registries);
  const session = sessionFor(endpoint, opts);
  session.useCredentials(credentials);
  try {
    await session.checkLogin();
  } catch (err) {
    if (err instanceof RegistryFailure) throw new CtnrError(err.code, `login to ${registry} failed: ${err.reason}`);
    throw err;
  }
}
