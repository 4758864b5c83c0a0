/**
 * Real registries for tests: Debian's `docker-registry` (distribution 2.8) on a free loopback port, with a temp
 * storage dir, and for token auth a bearer-token server written here. Images are pushed with the distribution
 * API from the test, so media types are exactly what the test says.
 *
 *   if (registryAvailable('image pulls')) { ... }            skip with a message when the binaries are missing
 *                                                             (CI=true: throws instead)
 *   const reg = await startRegistry({ auth: 'none' | 'basic' | 'token', users: { alice: 'secret' }, ... });
 *   reg.host / reg.url                                        '127.0.0.1:PORT' / 'http://127.0.0.1:PORT'
 *   await reg.pushImage('ns/app', 'v1', { layers: [tarBytes], compression: 'zstd', format: 'oci', config: { Cmd: ['sh'] } })
 *     → { digest, mediaType, bytes, manifest, config, configBytes, layers, diffIds }   (tag undefined: by digest only)
 *   await reg.pushIndex('ns/app', 'multi', [{ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, layers }, …])
 *     → { digest, mediaType, bytes, index, images }
 *   await reg.pushBlob(repo, bytes) → Descriptor;  await reg.pushManifest(repo, tagOrDigest, bytes, mediaType) → digest
 *   reg.token?.requests                                       every token request: { account, scopes, granted }
 *   reg.token?.invalidateNext(n)                              the next n tokens are minted for the wrong audience
 *   await reg.stop()                                          kills the registry and the token server, removes temp dirs
 *
 *   makeLayer({ 'etc/hello': 'hi\n', 'bin/': { type: 'dir' }, 'bin/sh': { type: 'symlink', target: 'busybox' } }) → tar bytes
 *   const fake = await startFakeServer((req, res) => …)      a node:http server for 429/5xx/odd answers; fake.requests
 *   await closedPort()                                        a loopback port nothing listens on
 *
 * Options of startRegistry: `users` (basic: written with `htpasswd -Bbn`; token: checked by the token server);
 * `anonymousPull` (token: whether a token without credentials grants pull, default true); `grant(account,
 * repository, actions)` (token: the actions to grant, overriding the default: users get what they ask,
 * anonymous gets pull); `refreshTokens` (token: identity token → account, for the OAuth2 refresh_token grant).
 * Pushes authenticate as an internal admin user (basic) or with a token the helper mints itself (token).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MEDIA, type Descriptor, type Index, type Manifest, type Platform } from '../../src/image/types.js';
import { which } from './runc.js';
import { IN_CI } from './shared.js';

export const REGISTRY_TOOLS = ['docker-registry', 'htpasswd', 'openssl'] as const;

/** True when the registry binaries are here; otherwise warns and returns false, or throws when CI=true. */
export function registryAvailable(what: string, tools: readonly string[] = REGISTRY_TOOLS): boolean {
  const missing = tools.filter((t) => !which(t));
  if (missing.length === 0) return true;
  const msg = `${what} needs ${missing.join(', ')} (scripts/install-system-deps.sh installs them)`;
  if (IN_CI) throw new Error(`${msg}, and CI=true`);
  console.warn(`skipping ${msg}`);
  return false;
}

export const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface RegistryOptions {
  auth?: 'none' | 'basic' | 'token';
  users?: Record<string, string>;
  anonymousPull?: boolean;
  grant?: (account: string | undefined, repository: string, actions: string[]) => string[];
  refreshTokens?: Record<string, string>;
}

export interface ImageSpec {
  /** Uncompressed tar bytes, lowest layer first (makeLayer builds them). Default: no layers. */
  layers?: Buffer[];
  compression?: 'gzip' | 'zstd' | 'none';
  /** oci (default) or docker v2s2 media types. */
  format?: 'oci' | 'docker';
  /** The image config's `config` object (Cmd, Env, User, …). */
  config?: Record<string, unknown>;
  /** Written into the config document and, in an index, the entry's platform. Default linux/amd64. */
  platform?: Platform;
}

export interface PushedImage {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  manifest: Manifest;
  config: Descriptor;
  configBytes: Buffer;
  layers: Descriptor[];
  /** sha256 of each uncompressed layer. */
  diffIds: string[];
  /** The bytes of each layer as pushed (compressed). */
  layerBytes: Buffer[];
}

export interface PushedIndex {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  index: Index;
  images: PushedImage[];
}

export interface TokenRequest {
  account: string | undefined;
  scopes: string[];
  granted: Array<{ type: string; name: string; actions: string[] }>;
}

export interface TestRegistry {
  host: string;
  url: string;
  auth: 'none' | 'basic' | 'token';
  token?: { url: string; requests: TokenRequest[]; invalidateNext(n: number): void };
  pushBlob(repo: string, bytes: Buffer, mediaType?: string): Promise<Descriptor>;
  pushManifest(repo: string, tagOrDigest: string, bytes: Buffer, mediaType: string): Promise<string>;
  pushImage(repo: string, tag: string | undefined, spec?: ImageSpec): Promise<PushedImage>;
  pushIndex(repo: string, tag: string, images: ImageSpec[], opts?: { format?: 'oci' | 'docker' }): Promise<PushedIndex>;
  /** The registry's log so far (stderr), for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

const SERVICE = 'ctnr-test-registry';
const ISSUER = 'ctnr-test-issuer';

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'none';
  const dir = mkdtempSync(path.join(tmpdir(), 'ctnr-registry-'));
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const admin = { user: 'ctnr-test-admin', password: randomBytes(12).toString('hex') };
    let authConfig: Record<string, unknown> | undefined;
    let tokens: TokenServer | undefined;
    if (auth === 'basic') {
      const lines = Object.entries({ ...opts.users, [admin.user]: admin.password }).map(([u, p]) => {
        const r = spawnSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
        return r.stdout.trim();
      });
      writeFileSync(path.join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
      authConfig = { htpasswd: { realm: 'ctnr-test', path: path.join(dir, 'htpasswd') } };
    } else if (auth === 'token') {
      tokens = await startTokenServer(dir, opts);
      cleanups.push(() => tokens!.close());
      authConfig = { token: { realm: `${tokens.url}/token`, service: SERVICE, issuer: ISSUER, rootcertbundle: tokens.certFile } };
    }

    const { child, port, logs } = await spawnRegistry(dir, authConfig);
    cleanups.push(() => killAndWait(child));
    const host = `127.0.0.1:${port}`;
    const url = `http://${host}`;

    /** Authorization for pushes: the admin user, or a token minted here with push rights. */
    const pushAuth = (repo: string): string | undefined => {
      if (auth === 'basic') return `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`;
      if (auth === 'token') return `Bearer ${tokens!.mint('ctnr-test-admin', [{ type: 'repository', name: repo, actions: ['pull', 'push'] }], SERVICE)}`;
      return undefined;
    };
    const request = async (method: string, target: string, repo: string, body?: Buffer, headers: Record<string, string> = {}) => {
      const authorization = pushAuth(repo);
      const res = await fetch(target.startsWith('http') ? target : `${url}${target}`, {
        method,
        headers: { ...headers, ...(authorization ? { authorization } : {}) },
        ...(body ? { body } : {}),
        redirect: 'manual',
      });
      return res;
    };

    const pushBlob = async (repo: string, bytes: Buffer, mediaType = 'application/octet-stream'): Promise<Descriptor> => {
      const digest = sha256(bytes);
      const start = await request('POST', `/v2/${repo}/blobs/uploads/`, repo);
      if (start.status !== 202) throw new Error(`blob upload start for ${repo}: ${start.status} ${await start.text()}`);
      const location = new URL(start.headers.get('location')!, url);
      location.searchParams.set('digest', digest);
      const put = await request('PUT', location.toString(), repo, bytes, { 'content-type': 'application/octet-stream' });
      if (put.status !== 201) throw new Error(`blob upload for ${repo}: ${put.status} ${await put.text()}`);
      return { mediaType, digest, size: bytes.length };
    };

    const pushManifest = async (repo: string, tagOrDigest: string, bytes: Buffer, mediaType: string): Promise<string> => {
      const res = await request('PUT', `/v2/${repo}/manifests/${tagOrDigest}`, repo, bytes, { 'content-type': mediaType });
      if (res.status !== 201) throw new Error(`manifest upload ${repo}:${tagOrDigest}: ${res.status} ${await res.text()}`);
      return sha256(bytes);
    };

    const pushImage = async (repo: string, tag: string | undefined, spec: ImageSpec = {}): Promise<PushedImage> => {
      const format = spec.format ?? 'oci';
      const compression = spec.compression ?? 'gzip';
      const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
      const raw = spec.layers ?? [];
      const diffIds = raw.map((l) => sha256(l));
      const layerBytes = raw.map((l) => compress(l, compression));
      const layers: Descriptor[] = [];
      for (const bytes of layerBytes) layers.push(await pushBlob(repo, bytes, layerMediaType(format, compression)));
      const configDoc = {
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        config: spec.config ?? {},
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: raw.map(() => ({ created_by: 'ctnr test helper' })),
      };
      const configBytes = Buffer.from(JSON.stringify(configDoc));
      const config = await pushBlob(repo, configBytes, format === 'oci' ? MEDIA.ociConfig : MEDIA.dockerConfig);
      const mediaType = format === 'oci' ? MEDIA.ociManifest : MEDIA.dockerManifest;
      const manifest: Manifest = { schemaVersion: 2, mediaType, config, layers };
      const bytes = Buffer.from(JSON.stringify(manifest));
      const digest = await pushManifest(repo, tag ?? sha256(bytes), bytes, mediaType);
      return { digest, mediaType, bytes, manifest, config, configBytes, layers, diffIds, layerBytes };
    };

    const pushIndex = async (repo: string, tag: string, specs: ImageSpec[], o: { format?: 'oci' | 'docker' } = {}): Promise<PushedIndex> => {
      const format = o.format ?? 'oci';
      const images: PushedImage[] = [];
      for (const s of specs) images.push(await pushImage(repo, undefined, { format, ...s }));
      const mediaType = format === 'oci' ? MEDIA.ociIndex : MEDIA.dockerList;
      const index: Index = {
        schemaVersion: 2,
        mediaType,
        manifests: images.map((img, i) => ({ mediaType: img.mediaType, digest: img.digest, size: img.bytes.length, platform: specs[i]!.platform ?? { os: 'linux', architecture: 'amd64' } })),
      };
      const bytes = Buffer.from(JSON.stringify(index));
      const digest = await pushManifest(repo, tag, bytes, mediaType);
      return { digest, mediaType, bytes, index, images };
    };

    const registry: TestRegistry = { host, url, auth, pushBlob, pushManifest, pushImage, pushIndex, logs, stop };
    if (tokens) registry.token = { url: tokens.url, requests: tokens.requests, invalidateNext: (n) => (tokens!.invalid += n) };
    return registry;
  } catch (err) {
    await stop();
    throw err;
  }
}

function layerMediaType(format: 'oci' | 'docker', compression: 'gzip' | 'zstd' | 'none'): string {
  if (format === 'docker') {
    if (compression === 'none') return 'application/vnd.docker.image.rootfs.diff.tar';
    if (compression === 'zstd') throw new Error('docker v2s2 has no zstd layers');
    return MEDIA.dockerLayerGzip;
  }
  return compression === 'gzip' ? MEDIA.ociLayerGzip : compression === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.ociLayer;
}

function compress(tar: Buffer, how: 'gzip' | 'zstd' | 'none'): Buffer {
  if (how === 'none') return tar;
  if (how === 'gzip') return gzipSync(tar);
  const r = spawnSync('zstd', ['-c', '-q'], { input: tar, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  return r.stdout;
}

/** A port the kernel just handed out and nothing listens on (racy in theory, fine on loopback in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const closedPort = freePort;

async function spawnRegistry(dir: string, authConfig: Record<string, unknown> | undefined) {
  let lastLogs = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = {
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: path.join(dir, 'storage') }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
      http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
      health: { storagedriver: { enabled: false } },
      ...(authConfig ? { auth: authConfig } : {}),
    };
    // YAML is a superset of JSON: the registry reads this as its YAML config.
    const file = path.join(dir, 'config.yml');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const child = spawn('docker-registry', ['serve', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keep = (b: Buffer) => {
      log = (log + b.toString('utf8')).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const logs = () => log;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v2/`);
        await res.body?.cancel();
        if (res.status === 200 || res.status === 401) {
          up = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
    }
    if (up) return { child, port, logs };
    lastLogs = log;
    await killAndWait(child);
  }
  throw new Error(`docker-registry did not start:\n${lastLogs}`);
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

interface TokenServer {
  url: string;
  certFile: string;
  requests: TokenRequest[];
  invalid: number;
  mint(account: string | undefined, access: TokenRequest['granted'], audience: string): string;
  close(): Promise<void>;
}

/**
 * The token server of the distribution token spec: GET /token?service=&scope=… (Basic credentials optional) and
 * POST /token with an OAuth2 refresh_token grant. Tokens are RS256 JWTs whose x5c header carries a self-signed
 * certificate (made with openssl) that the registry trusts as its rootcertbundle.
 */
async function startTokenServer(dir: string, opts: RegistryOptions): Promise<TokenServer> {
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=ctnr-test-token', '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = new X509Certificate(readFileSync(certFile)).raw.toString('base64');
  const users = opts.users ?? {};
  const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

  const server: TokenServer = {
    url: '',
    certFile,
    requests: [],
    invalid: 0,
    mint(account, access, audience) {
      const now = Math.floor(Date.now() / 1000);
      const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
      const claims = { iss: ISSUER, sub: account ?? '', aud: audience, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
      const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      return `${signingInput}.${b64url(sign('RSA-SHA256', Buffer.from(signingInput), key))}`;
    },
    close: async () => {},
  };

  const grant = (account: string | undefined, name: string, actions: string[]): string[] => {
    if (opts.grant) return opts.grant(account, name, actions);
    if (account !== undefined) return actions;
    return opts.anonymousPull === false ? [] : actions.filter((a) => a === 'pull');
  };

  const answer = (res: http.ServerResponse, status: number, doc: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc));
  };

  const httpServer = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (b: Buffer) => body.push(b));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname !== '/token') return answer(res, 404, { error: 'not found' });
      const params = req.method === 'POST' ? new URLSearchParams(Buffer.concat(body).toString('utf8')) : u.searchParams;
      let account: string | undefined;
      if (req.method === 'POST') {
        if (params.get('grant_type') !== 'refresh_token') return answer(res, 400, { error: 'unsupported_grant_type' });
        account = opts.refreshTokens?.[params.get('refresh_token') ?? ''];
        if (account === undefined) return answer(res, 401, { error: 'invalid_grant' });
      } else {
        const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
        if (basic) {
          const [user, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
          if (user === undefined || !Object.hasOwn(users, user) || users[user] !== rest.join(':')) return answer(res, 401, { details: 'incorrect username or password' });
          account = user;
        }
      }
      const scopes = params.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      const granted: TokenRequest['granted'] = [];
      for (const scope of scopes) {
        const [type, name, actions] = scope.split(':') as [string, string, string];
        if (type !== 'repository' || !name) continue;
        const allowed = grant(account, name, (actions ?? '').split(',').filter(Boolean));
        granted.push({ type, name, actions: allowed });
      }
      server.requests.push({ account, scopes, granted });
      const audience = server.invalid > 0 ? (server.invalid--, 'some-other-service') : (params.get('service') ?? SERVICE);
      const token = server.mint(account, granted, audience);
      answer(res, 200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  server.url = `http://127.0.0.1:${(httpServer.address() as net.AddressInfo).port}`;
  server.close = () =>
    new Promise<void>((resolve) => {
      httpServer.closeAllConnections();
      httpServer.close(() => resolve());
    });
  return server;
}

export interface FakeServer {
  url: string;
  host: string;
  /** `METHOD /path` of every request, in order. */
  requests: string[];
  /** The headers of every request, in order. */
  headers: http.IncomingHttpHeaders[];
  stop(): Promise<void>;
}

/** A node:http server on a loopback port answering with `handler` (for 429, 5xx and other odd registries). */
export async function startFakeServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<FakeServer> {
  const requests: string[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    headers.push(req.headers);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url: `http://${host}`,
    host,
    requests,
    headers,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type LayerEntry =
  | string
  | Buffer
  | { type: 'file'; content: string | Buffer; mode?: number; uid?: number; gid?: number }
  | { type: 'dir'; mode?: number; uid?: number; gid?: number }
  | { type: 'symlink' | 'hardlink'; target: string };

/**
 * A ustar archive of `entries` in the given order (names without a leading '/'; a trailing '/' is dropped).
 * Deterministic (mtime 0) so equal inputs give equal digests. Names up to 255 bytes (ustar prefix + name).
 */
export function makeLayer(entries: Record<string, LayerEntry>): Buffer {
  const blocks: Buffer[] = [];
  for (const [rawName, e] of Object.entries(entries)) {
    const name = rawName.replace(/\/+$/, '');
    const entry = typeof e === 'string' || Buffer.isBuffer(e) ? { type: 'file' as const, content: e } : e;
    const data = entry.type === 'file' ? Buffer.from(entry.content) : Buffer.alloc(0);
    const typeflag = { file: '0', hardlink: '1', symlink: '2', dir: '5' }[entry.type];
    const mode = 'mode' in entry && entry.mode !== undefined ? entry.mode : entry.type === 'dir' ? 0o755 : entry.type === 'file' ? 0o644 : 0o777;
    const header = Buffer.alloc(512);
    let [prefix, base] = ['', name];
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf('/', 155);
      if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`makeLayer: name too long for ustar: ${name}`);
      [prefix, base] = [name.slice(0, cut), name.slice(cut + 1)];
    }
    const put = (text: string, offset: number, length: number) => header.write(text, offset, length, 'utf8');
    const octal = (n: number, offset: number, length: number) => put(`${n.toString(8).padStart(length - 1, '0')}\0`, offset, length);
    put(base, 0, 100);
    octal(mode, 100, 8);
    octal('uid' in entry && entry.uid !== undefined ? entry.uid : 0, 108, 8);
    octal('gid' in entry && entry.gid !== undefined ? entry.gid : 0, 116, 8);
    octal(data.length, 124, 12);
    octal(0, 136, 12);
    put('        ', 148, 8);
    put(typeflag, 156, 1);
    if ('target' in entry) put(entry.target, 157, 100);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    put('root', 265, 32);
    put('root', 297, 32);
    put(prefix, 345, 155);
    let sum = 0;
    for (const b of header) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A directory for test files, removed by the returned function. */
export function tempDir(prefix = 'ctnr-reg-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
