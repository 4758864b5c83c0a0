import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ctnrFailure } from '../helpers/errors.js';
import { findCredentials, type Credentials } from '../../src/image/auth.js';
import { choosePlatform, parsePlatform } from '../../src/image/platform.js';
import { parseReference } from '../../src/image/reference.js';
import { checkLogin, endpointsFor, isLoopback, openSource, parseChallenges, type RegistryOptions } from '../../src/image/registry.js';
import { MEDIA, type Index, type Manifest, type PullProgress } from '../../src/image/types.js';
import { closedPort, makeLayer, registryAvailable, sha256, startFakeServer, startRegistry, tempDir, type FakeServer, type TestRegistry } from '../helpers/registry.js';

/**
 * The registry client against real registries (docker-registry started per suite, a JWT token server from the
 * helper) and, for answers a real registry does not give on demand (429, 5xx, stalls, wrong digests), small fakes.
 */

const ALICE = { username: 'alice', password: 'secret' };
const layer = makeLayer({ 'etc/': { type: 'dir' }, 'etc/hello': 'hello from a layer\n', 'bin/sh': { type: 'symlink', target: '/bin/busybox' } });
const fast: RegistryOptions = { retryDelayMs: 10, timeoutMs: 5_000 };
const creds = (c: Credentials | undefined) => async () => c;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}


/** Secrets that must never appear in an error message. */
function expectNoSecrets(message: string) {
  expect(message).not.toMatch(/secret|wrong-password|Bearer|Basic|eyJ/);
}

const tmp = tempDir();
afterAll(() => tmp.remove());

describe.skipIf(!registryAvailable('registry e2e tests'))('registry client', () => {
  describe('anonymous registry', () => {
    let reg: TestRegistry;
    beforeAll(async () => {
      reg = await startRegistry();
    });
    afterAll(() => reg?.stop());

    it('pulls an OCI manifest and its blobs by tag', async () => {
      const img = await reg.pushImage('ns/app', 'v1', { layers: [layer], config: { Cmd: ['sh'] } });
      const events: PullProgress[] = [];
      const ref = parseReference(`${reg.host}/ns/app:v1`);
      const { source, manifest } = await openSource(ref, { ...fast, onProgress: (e) => events.push(e) });
      expect(manifest).toEqual({ bytes: img.bytes, mediaType: MEDIA.ociManifest, digest: img.digest });
      expect(source.location).toBe(`${reg.host}/ns/app`);
      expect(source.reference).toBe(ref);
      expect(events).toEqual([]); // the puller reports `resolve`, the store the blobs
      const parsed = JSON.parse(manifest.bytes.toString()) as Manifest;
      const config = await source.openBlob(parsed.config);
      expect(config.offset).toBe(0);
      expect(JSON.parse((await readAll(config.stream)).toString()).config).toEqual({ Cmd: ['sh'] });
      expect((await readAll((await source.openBlob(parsed.layers[0]!)).stream)).equals(img.layerBytes[0]!)).toBe(true);
    });

    it('pulls by digest and by tag+digest, verifying the bytes', async () => {
      const img = await reg.pushImage('ns/pinned', 'v1', { layers: [layer] });
      for (const text of [`${reg.host}/ns/pinned@${img.digest}`, `${reg.host}/ns/pinned:v1@${img.digest}`, `${reg.host}/ns/pinned:other-tag-ignored@${img.digest}`]) {
        const { manifest } = await openSource(parseReference(text), fast);
        expect(manifest.digest).toBe(img.digest);
        expect(manifest.bytes.equals(img.bytes)).toBe(true);
      }
    });

    it('keeps zstd and uncompressed layer media types and bytes', async () => {
      const img = await reg.pushImage('ns/zstd', 'v1', { layers: [layer, makeLayer({ 'etc/two': '2\n' })], compression: 'zstd' });
      const plain = await reg.pushImage('ns/plain', 'v1', { layers: [layer], compression: 'none' });
      const { source, manifest } = await openSource(parseReference(`${reg.host}/ns/zstd:v1`), fast);
      const layers = (JSON.parse(manifest.bytes.toString()) as Manifest).layers;
      expect(layers.map((l) => l.mediaType)).toEqual([MEDIA.ociLayerZstd, MEDIA.ociLayerZstd]);
      const bytes = await readAll((await source.openBlob(layers[0]!)).stream);
      expect(bytes.subarray(0, 4).toString('hex')).toBe('28b52ffd'); // zstd frame magic
      expect(bytes.equals(img.layerBytes[0]!)).toBe(true);
      const p = await openSource(parseReference(`${reg.host}/ns/plain:v1`), fast);
      const plainLayer = (JSON.parse(p.manifest.bytes.toString()) as Manifest).layers[0]!;
      expect(plainLayer.mediaType).toBe(MEDIA.ociLayer);
      expect((await readAll((await p.source.openBlob(plainLayer)).stream)).equals(plain.layerBytes[0]!)).toBe(true);
    });

    it('pulls a docker v2s2 manifest', async () => {
      const img = await reg.pushImage('ns/docker', 'v1', { layers: [layer], format: 'docker' });
      const { source, manifest } = await openSource(parseReference(`${reg.host}/ns/docker:v1`), fast);
      expect(manifest.mediaType).toBe(MEDIA.dockerManifest);
      expect(manifest.digest).toBe(img.digest);
      const parsed = JSON.parse(manifest.bytes.toString()) as Manifest;
      expect(parsed.config.mediaType).toBe(MEDIA.dockerConfig);
      expect(parsed.layers[0]!.mediaType).toBe(MEDIA.dockerLayerGzip);
      expect((await readAll((await source.openBlob(parsed.layers[0]!)).stream)).equals(img.layerBytes[0]!)).toBe(true);
    });

    it.each(['oci', 'docker'] as const)('chooses the platform from a multi-arch %s index', async (format) => {
      const platforms = ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'].map(parsePlatform);
      const pushed = await reg.pushIndex(`ns/multi-${format}`, 'v1', platforms.map((platform, i) => ({ platform, layers: [makeLayer({ arch: `${i}\n` })] })), { format });
      const ref = parseReference(`${reg.host}/ns/multi-${format}:v1`);
      const { source, manifest } = await openSource(ref, fast);
      expect(manifest.mediaType).toBe(format === 'oci' ? MEDIA.ociIndex : MEDIA.dockerList);
      expect(manifest.digest).toBe(pushed.digest);
      const index = JSON.parse(manifest.bytes.toString()) as Index;
      // arm64 without a variant finds the v8 entry.
      const chosen = choosePlatform(index.manifests, parsePlatform('linux/arm64'), `${reg.host}/ns/multi-${format}:v1`);
      expect(chosen.digest).toBe(pushed.images[1]!.digest);
      const child = await source.getManifest(chosen.digest);
      expect(child.digest).toBe(chosen.digest);
      const config = JSON.parse((await readAll((await source.openBlob((JSON.parse(child.bytes.toString()) as Manifest).config)).stream)).toString());
      expect([config.architecture, config.variant]).toEqual(['arm64', 'v8']);
      expect(() => choosePlatform(index.manifests, parsePlatform('linux/s390x'), 'r')).toThrow('r has no image for linux/s390x (it has: linux/amd64, linux/arm64/v8, linux/arm/v7)');
    });

    it('resumes a blob with Range: the tail from the offset', async () => {
      const big = makeLayer({ 'data.bin': Buffer.alloc(200_000, 7), 'more.bin': Buffer.from('x'.repeat(5000)) });
      const img = await reg.pushImage('ns/range', 'v1', { layers: [big], compression: 'none' });
      const { source } = await openSource(parseReference(`${reg.host}/ns/range:v1`), fast);
      const desc = img.layers[0]!;
      const tail = await source.openBlob(desc, 123_456);
      expect(tail.offset).toBe(123_456);
      expect((await readAll(tail.stream)).equals(big.subarray(123_456))).toBe(true);
      // An offset at (or past) the end is answered 416; the client starts over from 0.
      const over = await source.openBlob(desc, desc.size);
      expect(over.offset).toBe(0);
      expect((await readAll(over.stream)).equals(big)).toBe(true);
    });

    it('a missing tag or repository is IMAGE_NOT_FOUND naming the reference and the location', async () => {
      await reg.pushImage('ns/app', 'v1', { layers: [layer] });
      const tag = await ctnrFailure(openSource(parseReference(`${reg.host}/ns/app:nope`), fast));
      expect(tag.code).toBe('IMAGE_NOT_FOUND');
      expect(tag.message).toBe(`cannot pull ${reg.host}/ns/app:nope: ${reg.host}/ns/app: tag "nope" not found (404: MANIFEST_UNKNOWN manifest unknown)`);
      const repo = await ctnrFailure(openSource(parseReference(`${reg.host}/no/such:v1`), fast));
      expect(repo.code).toBe('IMAGE_NOT_FOUND');
      expect(repo.message).toBe(`cannot pull ${reg.host}/no/such:v1: ${reg.host}/no/such: tag "v1" not found (404: MANIFEST_UNKNOWN manifest unknown)`);
      const { source } = await openSource(parseReference(`${reg.host}/ns/app:v1`), fast);
      const blob = await ctnrFailure(source.openBlob({ mediaType: MEDIA.ociLayerGzip, digest: sha256('nothing'), size: 7 }));
      expect(blob.code).toBe('IMAGE_NOT_FOUND');
      expect(blob.message).toContain(`cannot pull ${reg.host}/ns/app:v1: ${reg.host}/ns/app: blob ${sha256('nothing')} not found`);
    });

    it('checkLogin passes on a registry without authentication', async () => {
      await checkLogin(reg.host, ALICE, fast);
    });
  });

  describe('basic auth', () => {
    let reg: TestRegistry;
    beforeAll(async () => {
      reg = await startRegistry({ auth: 'basic', users: { alice: 'secret' } });
      await reg.pushImage('team/app', 'v1', { layers: [layer] });
    });
    afterAll(() => reg?.stop());
    afterEach(() => {
      vi.unstubAllEnvs();
    });
    const ref = () => parseReference(`${reg.host}/team/app:v1`);

    it('pulls with credentials', async () => {
      const { source, manifest } = await openSource(ref(), { ...fast, credentials: creds(ALICE) });
      const parsed = JSON.parse(manifest.bytes.toString()) as Manifest;
      expect((await readAll((await source.openBlob(parsed.layers[0]!)).stream)).length).toBe(parsed.layers[0]!.size);
    });

    it('without credentials: REGISTRY_AUTH saying how to log in', async () => {
      const err = await ctnrFailure(openSource(ref(), { ...fast, credentials: creds(undefined) }));
      expect(err.code).toBe('REGISTRY_AUTH');
      expect(err.message).toBe(`cannot pull ${reg.host}/team/app:v1: ${reg.host}/team/app: authentication required (401) and no credentials found for ${reg.host}; log in with: ctnr login ${reg.host}`);
    });

    it('wrong password: REGISTRY_AUTH without the password', async () => {
      const err = await ctnrFailure(openSource(ref(), { ...fast, credentials: creds({ username: 'alice', password: 'wrong-password' }) }));
      expect(err.code).toBe('REGISTRY_AUTH');
      expect(err.message).toBe(`cannot pull ${reg.host}/team/app:v1: ${reg.host}/team/app: ${reg.host} rejected the credentials (401)`);
      expectNoSecrets(err.message);
    });

    /** The default credential lookup, with an environment that points only into a temp HOME. */
    function isolatedEnv(name: string): string {
      const home = path.join(tmp.dir, name);
      mkdirSync(home, { recursive: true });
      vi.stubEnv('HOME', home);
      for (const v of ['REGISTRY_AUTH_FILE', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'DOCKER_CONFIG']) vi.stubEnv(v, undefined);
      return home;
    }
    const authEntry = (user: string, pass: string) => ({ auth: Buffer.from(`${user}:${pass}`).toString('base64') });

    it('finds credentials in $REGISTRY_AUTH_FILE', async () => {
      const home = isolatedEnv('authfile');
      const file = path.join(home, 'auth.json');
      writeFileSync(file, JSON.stringify({ auths: { [reg.host]: authEntry('alice', 'secret') } }));
      vi.stubEnv('REGISTRY_AUTH_FILE', file);
      await openSource(ref(), fast);
    });

    it('finds credentials in docker\'s config.json (a namespace key)', async () => {
      const home = isolatedEnv('docker');
      mkdirSync(path.join(home, '.docker'));
      writeFileSync(path.join(home, '.docker/config.json'), JSON.stringify({ auths: { [`${reg.host}/team`]: authEntry('alice', 'secret'), [reg.host]: authEntry('alice', 'wrong-password') } }));
      await openSource(ref(), fast);
    });

    it('a broken credentials file fails the pull naming the file', async () => {
      const home = isolatedEnv('broken');
      mkdirSync(path.join(home, '.docker'));
      writeFileSync(path.join(home, '.docker/config.json'), '{"auths": {');
      const err = await ctnrFailure(openSource(ref(), fast));
      expect(err.code).toBe('REGISTRY_AUTH');
      expect(err.message).toContain(`credentials file ${path.join(home, '.docker/config.json')} is not valid JSON`);
    });

    it('checkLogin accepts the right password and refuses a wrong one', async () => {
      await checkLogin(reg.host, ALICE, fast);
      const err = await ctnrFailure(checkLogin(reg.host, { username: 'alice', password: 'wrong-password' }, fast));
      expect(err.code).toBe('REGISTRY_AUTH');
      expect(err.message).toBe(`login to ${reg.host} failed: ${reg.host} rejected the credentials (401)`);
    });
  });

  describe('bearer tokens', () => {
    let reg: TestRegistry;
    beforeAll(async () => {
      reg = await startRegistry({
        auth: 'token',
        users: { alice: 'secret', bob: 'builder' },
        refreshTokens: { 'refresh-alice': 'alice' },
        // public/* is pullable by anyone, private/* by alice only.
        grant: (account, repo, actions) => (repo.startsWith('public/') || account === 'alice' ? actions : []),
      });
      await reg.pushImage('public/app', 'v1', { layers: [layer] });
      await reg.pushImage('private/app', 'v1', { layers: [layer] });
    });
    afterAll(() => reg?.stop());
    afterEach(() => {
      vi.unstubAllEnvs();
      reg.token!.requests.length = 0;
    });

    it('pulls anonymously with an anonymous token for the repository scope, cached across requests', async () => {
      const { source, manifest } = await openSource(parseReference(`${reg.host}/public/app:v1`), { ...fast, credentials: creds(undefined) });
      const parsed = JSON.parse(manifest.bytes.toString()) as Manifest;
      await readAll((await source.openBlob(parsed.config)).stream);
      await readAll((await source.openBlob(parsed.layers[0]!)).stream);
      await source.getManifest('v1');
      expect(reg.token!.requests).toEqual([{ account: undefined, scopes: ['repository:public/app:pull'], granted: [{ type: 'repository', name: 'public/app', actions: ['pull'] }] }]);
    });

    it('pulls with credentials sent to the token server', async () => {
      const { manifest } = await openSource(parseReference(`${reg.host}/private/app:v1`), { ...fast, credentials: creds(ALICE) });
      expect(manifest.mediaType).toBe(MEDIA.ociManifest);
      expect(reg.token!.requests.map((r) => r.account)).toEqual(['alice']);
    });

    it('exchanges an identity token (OAuth2 refresh_token grant)', async () => {
      await openSource(parseReference(`${reg.host}/private/app:v1`), { ...fast, credentials: creds({ identityToken: 'refresh-alice' }) });
      expect(reg.token!.requests.map((r) => r.account)).toEqual(['alice']);
    });

    it('refreshes the token once when the registry answers 401', async () => {
      reg.token!.invalidateNext(1);
      const { manifest } = await openSource(parseReference(`${reg.host}/public/app:v1`), { ...fast, credentials: creds(undefined) });
      expect(manifest.mediaType).toBe(MEDIA.ociManifest);
      expect(reg.token!.requests).toHaveLength(2);
      // Twice in a row is not refreshed again: the user gets the error.
      reg.token!.invalidateNext(2);
      const err = await ctnrFailure(openSource(parseReference(`${reg.host}/public/app:v1`), { ...fast, credentials: creds(undefined) }));
      expect(err.code).toBe('REGISTRY_AUTH');
      expect(reg.token!.requests).toHaveLength(4);
    });

    it('insufficient_scope: REGISTRY_AUTH saying so, after one retry', async () => {
      const anonymous = await ctnrFailure(openSource(parseReference(`${reg.host}/private/app:v1`), { ...fast, credentials: creds(undefined) }));
      expect(anonymous.code).toBe('REGISTRY_AUTH');
      expect(anonymous.message).toBe(`cannot pull ${reg.host}/private/app:v1: ${reg.host}/private/app: access denied (insufficient_scope for repository:private/app:pull): the repository does not exist or it needs credentials (ctnr login ${reg.host})`);
      const bob = await ctnrFailure(openSource(parseReference(`${reg.host}/private/app:v1`), { ...fast, credentials: creds({ username: 'bob', password: 'builder' }) }));
      expect(bob.message).toContain('access denied (insufficient_scope for repository:private/app:pull): the repository does not exist or these credentials may not pull it');
      expect(reg.token!.requests).toHaveLength(4);
      expectNoSecrets(bob.message);
    });

    it('a wrong password is refused by the token server: REGISTRY_AUTH', async () => {
      const err = await ctnrFailure(openSource(parseReference(`${reg.host}/private/app:v1`), { ...fast, credentials: creds({ username: 'alice', password: 'wrong-password' }) }));
      expect(err.code).toBe('REGISTRY_AUTH');
      expect(err.message).toMatch(/: the token service 127\.0\.0\.1:\d+ rejected the credentials for 127\.0\.0\.1:\d+ \(401\)$/);
      expectNoSecrets(err.message);
    });

    it('takes credentials from a credential helper on PATH (docker-credential-stub)', async () => {
      const home = path.join(tmp.dir, 'helper-home');
      const bin = path.join(home, 'bin');
      mkdirSync(path.join(home, '.docker'), { recursive: true });
      mkdirSync(bin, { recursive: true });
      writeFileSync(path.join(bin, 'docker-credential-stub'), [
        '#!/bin/sh',
        'read server',
        `echo "$1 $server" >> "${path.join(home, 'calls')}"`,
        `[ "$server" = "${reg.host}" ] && printf '{"ServerURL":"%s","Username":"alice","Secret":"secret"}' "$server" && exit 0`,
        'echo "credentials not found in native keychain"; exit 1',
        '',
      ].join('\n'));
      chmodSync(path.join(bin, 'docker-credential-stub'), 0o755);
      writeFileSync(path.join(home, '.docker/config.json'), JSON.stringify({ credHelpers: { [reg.host]: 'stub' } }));
      vi.stubEnv('HOME', home);
      vi.stubEnv('PATH', `${bin}:${process.env.PATH}`);
      for (const v of ['REGISTRY_AUTH_FILE', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'DOCKER_CONFIG']) vi.stubEnv(v, undefined);
      expect((await findCredentials(reg.host, 'private/app'))?.source).toBe(`docker-credential-stub (credHelpers in ${path.join(home, '.docker/config.json')})`);
      await openSource(parseReference(`${reg.host}/private/app:v1`), fast);
      expect(reg.token!.requests.map((r) => r.account)).toEqual(['alice']);
      expect(readFileSync(path.join(home, 'calls'), 'utf8')).toContain(`get ${reg.host}`);
    });

    it('checkLogin follows the bearer challenge', async () => {
      await checkLogin(reg.host, ALICE, fast);
      await checkLogin(reg.host, { identityToken: 'refresh-alice' }, fast);
      const err = await ctnrFailure(checkLogin(reg.host, { username: 'alice', password: 'wrong-password' }, fast));
      expect(err.code).toBe('REGISTRY_AUTH');
      expect(err.message).toMatch(new RegExp(`^login to ${reg.host} failed: the token service .* rejected the credentials`));
    });
  });

  describe('mirrors', () => {
    let upstream: TestRegistry;
    let mirror: TestRegistry;
    beforeAll(async () => {
      [upstream, mirror] = await Promise.all([startRegistry(), startRegistry()]);
    });
    afterAll(async () => {
      await upstream?.stop();
      await mirror?.stop();
    });

    it('reads from the first mirror that has the image, with its path prefix', async () => {
      const fromUpstream = await upstream.pushImage('library/hello', '1', { layers: [layer] });
      const fromMirror = await mirror.pushImage('m/library/hello', '1', { layers: [makeLayer({ mirrored: 'yes\n' })] });
      expect(fromMirror.digest).not.toBe(fromUpstream.digest);
      const registries = { [upstream.host]: { mirrors: [`${mirror.host}/m`] } };
      const { source, manifest } = await openSource(parseReference(`${upstream.host}/library/hello:1`), { ...fast, registries });
      expect(source.location).toBe(`${mirror.host}/m/library/hello`);
      expect(manifest.digest).toBe(fromMirror.digest);
      expect((await readAll((await source.openBlob(fromMirror.layers[0]!)).stream)).equals(fromMirror.layerBytes[0]!)).toBe(true);
    });

    it('mirrors docker.io (no internet needed): docker.io/library/hello:1 through mirror/m', async () => {
      const img = await mirror.pushImage('m/library/hello', 'hub', { layers: [layer] });
      const { source, manifest } = await openSource(parseReference('hello:hub'), { ...fast, registries: { 'docker.io': { mirrors: [`${mirror.host}/m`] } } });
      expect(source.location).toBe(`${mirror.host}/m/library/hello`);
      expect(manifest.digest).toBe(img.digest);
    });

    it('falls back past a dead mirror and a mirror without the image to the registry', async () => {
      const img = await upstream.pushImage('ns/only-upstream', 'v1', { layers: [layer] });
      const dead = `127.0.0.1:${await closedPort()}`;
      const registries = { [upstream.host]: { mirrors: [dead, `${mirror.host}/m`] } };
      const { source, manifest } = await openSource(parseReference(`${upstream.host}/ns/only-upstream:v1`), { ...fast, registries });
      expect(source.location).toBe(`${upstream.host}/ns/only-upstream`);
      expect(manifest.digest).toBe(img.digest);
    });

    it('when every location fails, one error lists each with its reason (the registry\'s failure decides the code)', async () => {
      const dead = `127.0.0.1:${await closedPort()}`;
      const registries = { [upstream.host]: { mirrors: [dead, `${mirror.host}/m`] } };
      const err = await ctnrFailure(openSource(parseReference(`${upstream.host}/ns/nowhere:v1`), { ...fast, registries }));
      expect(err.code).toBe('IMAGE_NOT_FOUND');
      expect(err.message).toBe(
        `cannot pull ${upstream.host}/ns/nowhere:v1: mirror ${dead}/ns/nowhere: connection refused by ${dead}; ` +
          `mirror ${mirror.host}/m/ns/nowhere: tag "v1" not found (404: MANIFEST_UNKNOWN manifest unknown); ` +
          `${upstream.host}/ns/nowhere: tag "v1" not found (404: MANIFEST_UNKNOWN manifest unknown)`,
      );
      expect(err.message).not.toContain('\n');
    });
  });
});

describe('registry failures', () => {
  let fake: FakeServer | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: sha256('{}'), size: 2 }, layers: [] }));

  /** A registry that answers /v2/ with 200 and the manifest path with `answer(n)` (n counts from 1). */
  async function fakeRegistry(answer: (n: number, res: http.ServerResponse, req: http.IncomingMessage) => void): Promise<FakeServer> {
    let n = 0;
    fake = await startFakeServer((req, res) => {
      if (req.url === '/v2/') return res.writeHead(200).end('{}');
      answer(++n, res, req);
    });
    return fake;
  }
  const sendManifest = (res: http.ServerResponse, bytes = manifest) => res.writeHead(200, { 'content-type': MEDIA.ociManifest }).end(bytes);

  it('a closed port is REGISTRY_FAILED at once', async () => {
    const host = `127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const err = await ctnrFailure(openSource(parseReference(`${host}/x:1`)));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toMatchObject({ code: 'REGISTRY_FAILED', message: `cannot pull ${host}/x:1: ${host}/x: connection refused by ${host}` });
  });

  it('a name that does not resolve is REGISTRY_FAILED (DNS)', async () => {
    const err = await ctnrFailure(openSource(parseReference('registry.invalid/x:1'), fast));
    expect(err.code).toBe('REGISTRY_FAILED');
    expect(err.message).toMatch(/^cannot pull registry\.invalid\/x:1: registry\.invalid\/x: cannot resolve registry\.invalid \(DNS: (ENOTFOUND|EAI_AGAIN)\)$/);
  });

  it('a registry that does not answer fails within the timeout', async () => {
    fake = await startFakeServer(() => {}); // never answers
    const started = Date.now();
    const err = await ctnrFailure(openSource(parseReference(`${fake.host}/x:1`), { ...fast, timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toMatchObject({ code: 'REGISTRY_FAILED', message: `cannot pull ${fake.host}/x:1: ${fake.host}/x: no answer from ${fake.host} within 300 ms` });
  });

  it('retries 5xx three times with backoff, then says so', async () => {
    const ok = await fakeRegistry((n, res) => (n <= 2 ? res.writeHead(503).end() : sendManifest(res)));
    expect((await openSource(parseReference(`${ok.host}/x:1`), fast)).manifest.digest).toBe(sha256(manifest));
    expect(ok.requests.filter((r) => r.startsWith('GET /v2/x/'))).toHaveLength(3);
    await ok.stop();
    const bad = await fakeRegistry((_n, res) => res.writeHead(502, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"backend down"}]}'));
    const err = await ctnrFailure(openSource(parseReference(`${bad.host}/x:1`), fast));
    expect(err).toMatchObject({ code: 'REGISTRY_FAILED', message: `cannot pull ${bad.host}/x:1: ${bad.host}/x: server error 502 Bad Gateway: UNAVAILABLE backend down (4 attempts)` });
    expect(bad.requests.filter((r) => r.startsWith('GET /v2/x/'))).toHaveLength(4);
  });

  it('honours Retry-After on 429', async () => {
    const srv = await fakeRegistry((n, res) => (n === 1 ? res.writeHead(429, { 'retry-after': '1' }).end() : sendManifest(res)));
    const started = Date.now();
    await openSource(parseReference(`${srv.host}/x:1`), fast);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('429 with a Retry-After beyond the bound, or every time, is said to be rate limiting', async () => {
    const long = await fakeRegistry((_n, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
    const started = Date.now();
    const err = await ctnrFailure(openSource(parseReference(`${long.host}/x:1`), fast));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toMatchObject({ code: 'REGISTRY_FAILED', message: `cannot pull ${long.host}/x:1: ${long.host}/x: rate limited (429 Too Many Requests; the registry asks to wait 3600 s, longer than the 60 s we wait)` });
    await long.stop();
    const always = await fakeRegistry((_n, res) => res.writeHead(429).end());
    const err2 = await ctnrFailure(openSource(parseReference(`${always.host}/x:1`), fast));
    expect(err2.message).toBe(`cannot pull ${always.host}/x:1: ${always.host}/x: rate limited (429 Too Many Requests, 5 attempts)`);
    expect(always.requests.filter((r) => r.startsWith('GET /v2/x/'))).toHaveLength(5);
  });

  it('a token service that is down is named in the error', async () => {
    const down = `127.0.0.1:${await closedPort()}`;
    fake = await startFakeServer((_req, res) => res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${down}/token",service="s"` }).end());
    const err = await ctnrFailure(openSource(parseReference(`${fake.host}/x:1`), fast));
    expect(err).toMatchObject({ code: 'REGISTRY_FAILED', message: `cannot pull ${fake.host}/x:1: ${fake.host}/x: getting a token from ${down}: connection refused by ${down}` });
  });

  it('403 is REGISTRY_AUTH', async () => {
    const srv = await fakeRegistry((_n, res) => res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'));
    expect(await ctnrFailure(openSource(parseReference(`${srv.host}/x:1`), fast))).toMatchObject({
      code: 'REGISTRY_AUTH',
      message: `cannot pull ${srv.host}/x:1: ${srv.host}/x: access to tag "1" forbidden (403: DENIED requested access to the resource is denied)`,
    });
  });

  it('a manifest whose bytes do not match the digest asked for is IMAGE_DIGEST', async () => {
    const srv = await fakeRegistry((_n, res) => sendManifest(res, Buffer.from(`${manifest.toString()} `)));
    const wanted = sha256(manifest);
    const err = await ctnrFailure(openSource(parseReference(`${srv.host}/x@${wanted}`), fast));
    expect(err.code).toBe('IMAGE_DIGEST');
    expect(err.message).toBe(`cannot pull ${srv.host}/x@${wanted}: ${srv.host}/x sent a manifest whose digest is ${sha256(`${manifest.toString()} `)}, not the ${wanted} asked for`);
  });

  it('takes the media type from the document when the server says application/json', async () => {
    const srv = await fakeRegistry((_n, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(manifest));
    expect((await openSource(parseReference(`${srv.host}/x:1`), fast)).manifest.mediaType).toBe(MEDIA.ociManifest);
  });

  it('follows a blob redirect to another origin without sending it the Authorization header', async () => {
    const storage = await startFakeServer((_req, res) => res.writeHead(200).end('blob-bytes'));
    try {
      const basic = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
      const srv = await startFakeServer((req, res) => {
        if (req.headers.authorization !== basic) return res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
        if (req.url?.includes('/manifests/')) return sendManifest(res);
        // localhost vs 127.0.0.1: another origin, as a storage bucket is.
        res.writeHead(307, { location: `http://localhost:${storage.host.split(':')[1]}/bucket/blob?sig=1` }).end();
      });
      fake = srv;
      const { source } = await openSource(parseReference(`${srv.host}/x:1`), { ...fast, credentials: creds(ALICE) });
      const blob = await source.openBlob({ mediaType: MEDIA.ociLayer, digest: sha256('blob-bytes'), size: 10 });
      expect((await readAll(blob.stream)).toString()).toBe('blob-bytes');
      expect(storage.requests).toEqual(['GET /bucket/blob?sig=1']);
      expect(storage.headers[0]!.authorization).toBeUndefined();
      expect(srv.headers.at(-1)!.authorization).toBe(basic);
    } finally {
      await storage.stop();
    }
  });

  it('a server that ignores Range gives offset 0', async () => {
    const body = Buffer.alloc(100_000, 1);
    const srv = await fakeRegistry((_n, res, req) => {
      if (req.url?.includes('/manifests/')) return sendManifest(res);
      res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    });
    const { source } = await openSource(parseReference(`${srv.host}/x:1`), fast);
    const whole = await source.openBlob({ mediaType: MEDIA.ociLayer, digest: sha256(body), size: body.length }, 5000);
    expect(whole.offset).toBe(0);
    expect((await readAll(whole.stream)).length).toBe(body.length);
    expect(srv.headers.at(-1)!.range).toBe('bytes=5000-');
  });

  it('a blob download that stalls errors the stream after the idle timeout', async () => {
    const body = Buffer.alloc(100_000, 1);
    const srv = await fakeRegistry((_n, res, req) => {
      if (req.url?.includes('/manifests/')) return sendManifest(res);
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, 1000)); // and then nothing
    });
    const { source } = await openSource(parseReference(`${srv.host}/x:1`), { ...fast, timeoutMs: 300 });
    const open = await source.openBlob({ mediaType: MEDIA.ociLayer, digest: sha256(body), size: body.length });
    const started = Date.now();
    const err = await readAll(open.stream).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toBe('the download stalled (no data for 300 ms)');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('endpoints and challenges', () => {
  it('puts mirrors first with their path prefix, Docker Hub on its API host, https unless a mirror says http://, insecure for loopback and the config', () => {
    const registries = {
      'docker.io': { mirrors: ['mirror.example:5000/dockerhub', 'http://plain.example/', 'https://secure.example/a/b', '127.0.0.1:5000/m'] },
      'insecure.example:5000': { insecure: true },
      'plain.mirror': { insecure: true },
      'r.example': { mirrors: ['plain.mirror/p'] },
    };
    const hub = endpointsFor(parseReference('hello:1'), registries);
    expect(hub.map((e) => [e.origin, e.insecure, e.registry, e.repository, e.location, e.mirror])).toEqual([
      ['https://mirror.example:5000', false, 'mirror.example:5000', 'dockerhub/library/hello', 'mirror.example:5000/dockerhub/library/hello', true],
      ['http://plain.example', false, 'plain.example', 'library/hello', 'plain.example/library/hello', true],
      ['https://secure.example', false, 'secure.example', 'a/b/library/hello', 'secure.example/a/b/library/hello', true],
      ['https://127.0.0.1:5000', true, '127.0.0.1:5000', 'm/library/hello', '127.0.0.1:5000/m/library/hello', true],
      ['https://registry-1.docker.io', false, 'docker.io', 'library/hello', 'docker.io/library/hello', false],
    ]);
    const origins = (ref: string) => endpointsFor(parseReference(ref), registries).map((e) => [e.origin, e.insecure]);
    expect(origins('insecure.example:5000/x')).toEqual([['https://insecure.example:5000', true]]);
    expect(origins('r.example/x')).toEqual([['https://plain.mirror', true], ['https://r.example', false]]);
    expect(origins('localhost:5000/x')).toEqual([['https://localhost:5000', true]]);
    expect(origins('ghcr.io/o/r')).toEqual([['https://ghcr.io', false]]);
    expect(() => endpointsFor(parseReference('hello'), { 'docker.io': { mirrors: ['bad host/x'] } })).toThrow('mirror "bad host/x" of docker.io is not host[:port][/path-prefix]');
    expect(() => endpointsFor(parseReference('hello'), { 'docker.io': { mirrors: ['m.example/../x'] } })).toThrow(/is not host/);
  });

  it.each([
    ['localhost', true], ['localhost:5000', true], ['127.0.0.1:5000', true], ['127.1.2.3', true], ['[::1]:5000', true],
    ['localhost.example', false], ['128.0.0.1', false], ['10.0.0.1:5000', false], ['[::2]:5000', false], ['registry', false],
  ])('isLoopback(%s) = %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });

  it('parses WWW-Authenticate challenges, several in one header', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/x:pull",error="insufficient_scope"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/x:pull', error: 'insufficient_scope' } },
    ]);
    expect(parseChallenges('Basic realm="a, b", Bearer realm=http://t/token, service = s')).toEqual([
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'bearer', params: { realm: 'http://t/token', service: 's' } },
    ]);
    expect(parseChallenges('Basic realm="say \\"hi\\""')).toEqual([{ scheme: 'basic', params: { realm: 'say "hi"' } }]);
    expect(parseChallenges('Negotiate')).toEqual([{ scheme: 'negotiate', params: {} }]);
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges(null)).toEqual([]);
  });
});

/** TLS whose certificate is checked needs a name that is not loopback (loopback registries are insecure): this machine's own non-loopback address. */
const ownAddress = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
if (ownAddress === undefined) console.warn('skipping the TLS tests: this machine has no non-loopback IPv4 address to serve TLS on');
describe.skipIf(ownAddress === undefined || !registryAvailable('TLS tests', ['openssl']))('TLS', () => {
  let fake: { host: string; stop(): Promise<void> } | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  async function listen(server: http.Server | https.Server, address = ownAddress): Promise<{ host: string; stop(): Promise<void> }> {
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    const host = `${address}:${(server.address() as net.AddressInfo).port}`;
    return { host, stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
  }

  /** An HTTPS server with a self-signed certificate nobody trusts (made once, by openssl). */
  let selfSigned: { key: Buffer; cert: Buffer } | undefined;
  async function untrusted(handler: http.RequestListener): Promise<https.Server> {
    if (!selfSigned) {
      const { dir } = tmp;
      const { spawnSync } = await import('node:child_process');
      spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=untrusted', '-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt')]);
      selfSigned = { key: readFileSync(path.join(dir, 'tls.key')), cert: readFileSync(path.join(dir, 'tls.crt')) };
    }
    return https.createServer(selfSigned, handler);
  }

  /** A registry that serves an empty OCI manifest for any reference. */
  const emptyManifest: http.RequestListener = (req, res) => {
    if (req.url === '/v2/') return res.writeHead(200).end('{}');
    res.writeHead(200, { 'content-type': MEDIA.ociManifest }).end('{"schemaVersion":2,"config":{},"layers":[]}');
  };

  it('a certificate nobody trusts is REGISTRY_FAILED naming TLS', async () => {
    const server = await untrusted((_req, res) => res.writeHead(200).end('{}'));
    fake = await listen(server);
    const err = await ctnrFailure(openSource(parseReference(`${fake.host}/x:1`), fast));
    expect(err.code).toBe('REGISTRY_FAILED');
    expect(err.message).toMatch(new RegExp(`^cannot pull ${fake.host}/x:1: ${fake.host}/x: TLS failure with ${fake.host}: DEPTH_ZERO_SELF_SIGNED_CERT \\(if it uses a private CA, put the CA certificate in /etc/containers/certs\\.d/${fake.host}/ca\\.crt\\)$`));
  });

  it('a plain-HTTP registry needs insecure: the TLS error says so, and insecure: true works', async () => {
    const { createServer } = await import('node:http');
    const server = createServer(emptyManifest);
    fake = await listen(server);
    const err = await ctnrFailure(openSource(parseReference(`${fake.host}/x:1`), fast));
    expect(err.message).toMatch(/TLS failure with .*: ERR_SSL_WRONG_VERSION_NUMBER \(if it only speaks plain HTTP, set "insecure": true for it under registries in the ctnr config\)$/);
    const ok = await openSource(parseReference(`${fake.host}/x:1`), { ...fast, registries: { [fake.host]: { insecure: true } } });
    expect(ok.manifest.mediaType).toBe(MEDIA.ociManifest);
  });

  it('an HTTPS registry marked insecure: its certificate is not checked (docker\'s and podman\'s insecure), and stays HTTPS', async () => {
    const seen: string[] = [];
    const server = await untrusted((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      emptyManifest(req, res);
    });
    fake = await listen(server);
    const ok = await openSource(parseReference(`${fake.host}/x:1`), { ...fast, registries: { [fake.host]: { insecure: true } } });
    expect(ok.manifest.mediaType).toBe(MEDIA.ociManifest);
    expect(seen).toEqual(['GET /v2/', 'GET /v2/x/manifests/1']);
    // Only for a pull that says so: the same process pulling without `insecure` checks the certificate again.
    const err = await ctnrFailure(openSource(parseReference(`${fake.host}/x:1`), fast));
    expect(err.message).toContain(`TLS failure with ${fake.host}: DEPTH_ZERO_SELF_SIGNED_CERT`);
  });

  it('a loopback registry over HTTPS with a certificate nobody trusts: pulled without a config, as docker does', async () => {
    fake = await listen(await untrusted(emptyManifest), '127.0.0.1');
    expect((await openSource(parseReference(`${fake.host}/x:1`), fast)).manifest.mediaType).toBe(MEDIA.ociManifest);
  });

  it('an insecure registry that fails over HTTPS and over plain HTTP: the error gives both reasons, without TLS advice', async () => {
    const { createServer } = await import('node:net');
    // Hangs up on a TLS hello (first byte 0x16), answers anything else as a server that is not a registry.
    const server = createServer((socket) => {
      socket.once('data', (data) => (data[0] === 0x16 ? socket.destroy() : socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, ownAddress, resolve));
    const host = `${ownAddress}:${(server.address() as net.AddressInfo).port}`;
    fake = { host, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    const err = await ctnrFailure(openSource(parseReference(`${host}/x:1`), { ...fast, registries: { [host]: { insecure: true } } }));
    expect(err.message).toMatch(
      new RegExp(`^cannot pull ${host}/x:1: ${host}/x: over HTTPS: connection dropped by ${host} \\([A-Z_]+\\); over plain HTTP: ${host} does not answer as a registry \\(GET /v2/ gave 400\\)$`),
    );
  });

  it('an insecure registry that answers a TLS hello in plain text speaks plain HTTP: only how that went is said', async () => {
    const { createServer } = await import('node:http');
    // What distribution answers when plain HTTP reaches its TLS port (node's server answers a TLS hello with 400 too).
    const server = createServer((_req, res) => res.writeHead(400).end('Client sent an HTTP request to an HTTPS server.\n'));
    fake = await listen(server);
    const err = await ctnrFailure(openSource(parseReference(`${fake.host}/x:1`), { ...fast, registries: { [fake.host]: { insecure: true } } }));
    expect(err.message).toBe(`cannot pull ${fake.host}/x:1: ${fake.host}/x: ${fake.host} does not answer as a registry (GET /v2/ gave 400)`);
  });

  it('a mirror named http:// that serves HTTPS: plain HTTP only, and the error says the mirror asked for it', async () => {
    const server = await untrusted((_req, res) => res.writeHead(200).end('{}'));
    fake = await listen(server);
    const err = await ctnrFailure(openSource(parseReference('r.invalid/x:1'), { ...fast, registries: { 'r.invalid': { mirrors: [`http://${fake.host}`] } } }));
    expect(err.message).toContain(`${fake.host}/x: connection dropped by ${fake.host} (`);
    expect(err.message).toContain(`(ctnr speaks plain HTTP to it, as the mirror is named http://${fake.host}; if it serves HTTPS, name it without http://)`);
  });
});
