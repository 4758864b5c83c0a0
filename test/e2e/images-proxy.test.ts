import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, registryAvailable, startRegistry, tempDir, type PushedImage, type TestRegistry } from '../helpers/registry.js';
import { busyboxLayer, cli, requireBuild } from './images-helpers.js';

/**
 * Pulls through an HTTP proxy, as docker pulls: `HTTP_PROXY`/`HTTPS_PROXY` (lower case first) from the environment,
 * `NO_PROXY` for hosts reached directly, loopback hosts always direct, proxy credentials sent to the proxy and shown
 * nowhere. The registry is named `registry.test`, a name only the proxy (a CONNECT proxy in this test) knows: a
 * pull that does not go through the proxy cannot find it.
 */
const ready = registryAvailable('proxy e2e tests');

interface Proxy {
  url: string;
  /** CONNECT targets, in order, with the Proxy-Authorization header each came with. */
  seen: Array<{ target: string; auth?: string }>;
  close(): Promise<void>;
}

/** A CONNECT proxy that sends `registry.test` to `registryPort` on loopback; with `user`, it wants Basic credentials. */
async function startProxy(registryPort: number, user?: { name: string; password: string }): Promise<Proxy> {
  const seen: Proxy['seen'] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => sockets.add(s));
  server.on('connect', (req, client: net.Socket) => {
    const auth = req.headers['proxy-authorization'];
    seen.push({ target: req.url ?? '', ...(auth ? { auth } : {}) });
    if (user && auth !== `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}`) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="p"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host] = (req.url ?? '').split(':');
    if (host !== 'registry.test') {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect(registryPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const creds = user ? `${user.name}:${encodeURIComponent(user.password)}@` : '';
  return {
    url: `http://${creds}127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(!ready)('pulls through an HTTP proxy', () => {
  const tmp = tempDir('ctnr-proxy-');
  let reg: TestRegistry;
  let img: PushedImage;
  let proxy: Proxy;
  let locked: Proxy;
  let remote: string;
  let project: string;
  let n = 0;
  /** A pull with only these proxy variables (and a fresh data dir). */
  const pull = (reference: string, vars: Record<string, string>) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: tmp.dir, NO_COLOR: '1', ...vars };
    return cli(['pull', reference, '--data-dir', path.join(tmp.dir, `data-${++n}`)], { env, cwd: project });
  };

  beforeAll(async () => {
    requireBuild();
    reg = await startRegistry();
    img = await reg.pushImage('proxied/app', 'v1', { layers: [busyboxLayer()] });
    const port = Number(reg.host.split(':')[1]);
    proxy = await startProxy(port);
    locked = await startProxy(port, { name: 'pat', password: 's3cr3t/pw' });
    remote = `registry.test:${port}`;
    project = path.join(tmp.dir, 'p');
    mkdirSync(project);
    // registry.test speaks plain HTTP: the config says so, as for any such registry.
    writeFileSync(path.join(project, 'ctnr.config.json'), JSON.stringify({ registries: { [remote]: { insecure: true } } }));
  });
  afterAll(async () => {
    await proxy?.close();
    await locked?.close();
    await reg?.stop();
    tmp.remove();
  });

  it('HTTP_PROXY carries a plain-HTTP registry’s pull (lower case wins)', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const r = await pull(`${remote}/proxied/app:v1`, { HTTP_PROXY: dead, http_proxy: proxy.url });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(`${remote}/proxied/app:v1 ${img.digest}\n`);
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(new Set(proxy.seen.map((s) => s.target))).toEqual(new Set([remote]));
  });

  it('NO_PROXY names the registry: it is reached directly (and registry.test does not resolve)', async () => {
    for (const noProxy of ['registry.test', '.test', `registry.test:${remote.split(':')[1]}`, '*']) {
      const r = await pull(`${remote}/proxied/app:v1`, { http_proxy: proxy.url, no_proxy: noProxy });
      expect(r.status, noProxy).toBe(1);
      expect(r.stderr).toMatch(/cannot resolve registry\.test \(DNS: (ENOTFOUND|EAI_AGAIN)\)/);
    }
    // Another port in NO_PROXY does not count: through the proxy.
    const before = proxy.seen.length;
    expect((await pull(`${remote}/proxied/app:v1`, { http_proxy: proxy.url, no_proxy: 'registry.test:1,other.example' })).status).toBe(0);
    expect(proxy.seen.length).toBeGreaterThan(before);
  });

  it('a loopback registry is reached directly, whatever the proxy', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const r = await pull(`${reg.host}/proxied/app:v1`, { HTTP_PROXY: dead, HTTPS_PROXY: dead });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('HTTPS_PROXY alone does not carry a plain-HTTP registry’s requests (as curl and Go)', async () => {
    const r = await pull(`${remote}/proxied/app:v1`, { HTTPS_PROXY: proxy.url });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot resolve registry\.test/);
  });

  it('proxy credentials go to the proxy; a refused or dead proxy is named in the error, without them', async () => {
    const ok = await pull(`${remote}/proxied/app:v1`, { http_proxy: locked.url });
    expect([ok.status, ok.stderr]).toEqual([0, '']);
    expect(locked.seen.at(-1)!.auth).toBe(`Basic ${Buffer.from('pat:s3cr3t/pw').toString('base64')}`);
    const wrong = await pull(`${remote}/proxied/app:v1`, { http_proxy: locked.url.replace('s3cr3t', 'wrong') });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`${remote} through the proxy http://127.0.0.1:${new URL(locked.url).port}`);
    expect(wrong.stderr).not.toMatch(/s3cr3t|wrong|pat:|Basic/);
    const port = await closedPort();
    const dead = await pull(`${remote}/proxied/app:v1`, { http_proxy: `http://pat:s3cr3t@127.0.0.1:${port}` });
    expect(dead.status).toBe(1);
    expect(dead.stderr).toContain(`through the proxy http://127.0.0.1:${port}`);
    expect(dead.stderr).not.toMatch(/s3cr3t|pat:/);
  });
});
