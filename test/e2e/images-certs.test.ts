import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryAvailable, startRegistry, tempDir, type PushedImage, type TestRegistry } from '../helpers/registry.js';
import { busyboxLayer, cli, requireBuild } from './images-helpers.js';

/**
 * A registry behind TLS with a private CA, trusted the way docker and podman trust it: the CA in
 * `/etc/containers/certs.d/<host:port>/*.crt` (this test runs as root, and removes what it put there), and a client
 * certificate (`NAME.cert` + `NAME.key`) where the registry wants mutual TLS. Root ignores a user's own certs.d. The
 * registry is served on this machine's own non-loopback address (loopback registries are insecure: their certificate is
 * not checked), through a TLS terminator in front of a plain one.
 */
const ownAddress = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
if (ownAddress === undefined) console.warn('skipping the certs.d tests: this machine has no non-loopback IPv4 address to serve TLS on');
const ready = ownAddress !== undefined && process.getuid?.() === 0 && registryAvailable('certs.d tests', ['docker-registry', 'openssl']);

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

describe.skipIf(!ready)('registries with their own CA and client certificates (certs.d)', () => {
  const tmp = tempDir('ctnr-certs-');
  let reg: TestRegistry;
  let img: PushedImage;
  const servers: Array<{ host: string; close(): void }> = [];
  let plain: string;
  let mutual: string;
  const pki = () => path.join(tmp.dir, 'pki');
  const certsD = (host: string) => path.join('/etc/containers/certs.d', host);
  const userCertsD = (host: string) => path.join(tmp.dir, 'config/containers/certs.d', host);
  let n = 0;
  const pull = (host: string) =>
    cli(['pull', `${host}/certs/app:v1`, '--data-dir', path.join(tmp.dir, `data-${++n}`)], {
      env: { PATH: process.env.PATH, HOME: tmp.dir, XDG_CONFIG_HOME: path.join(tmp.dir, 'config'), NO_COLOR: '1' },
      cwd: tmp.dir,
    });

  /** A TLS terminator on this machine's address in front of the registry; `clientCa`: it wants a client certificate. */
  async function terminator(clientCa?: Buffer, address = ownAddress): Promise<string> {
    const port = Number(reg.host.split(':')[1]);
    const server = tls.createServer(
      {
        key: readFileSync(path.join(pki(), 'server.key')),
        cert: readFileSync(path.join(pki(), 'server.crt')),
        ...(clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {}),
      },
      (socket) => {
        const upstream = net.connect(port, '127.0.0.1');
        socket.pipe(upstream).pipe(socket);
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      },
    );
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    const host = `${address}:${(server.address() as net.AddressInfo).port}`;
    servers.push({ host, close: () => server.close() });
    return host;
  }

  beforeAll(async () => {
    requireBuild();
    mkdirSync(pki(), { recursive: true });
    openssl(pki(), 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=ctnr test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
    writeFileSync(path.join(pki(), 'san.ext'), `subjectAltName=IP:${ownAddress}\n`);
    openssl(pki(), 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=registry', '-keyout', 'server.key', '-out', 'server.csr');
    openssl(pki(), 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt');
    openssl(pki(), 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=puller', '-keyout', 'client.key', '-out', 'client.csr');
    openssl(pki(), 'x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'client.crt');
    openssl(pki(), 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=stranger', '-keyout', 'stranger.key', '-out', 'stranger.crt');
    reg = await startRegistry();
    img = await reg.pushImage('certs/app', 'v1', { layers: [busyboxLayer()] });
    plain = await terminator();
    mutual = await terminator(readFileSync(path.join(pki(), 'ca.crt')));
  });
  afterAll(async () => {
    for (const s of servers) {
      s.close();
      rmSync(certsD(s.host), { recursive: true, force: true });
    }
    await reg?.stop();
    tmp.remove();
  });

  it('without the CA (root ignores the one in the user’s own certs.d): a TLS failure that says where the CA goes', async () => {
    mkdirSync(userCertsD(plain), { recursive: true });
    writeFileSync(path.join(userCertsD(plain), 'ca.crt'), readFileSync(path.join(pki(), 'ca.crt')));
    const r = await pull(plain);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`TLS failure with ${plain}: UNABLE_TO_VERIFY_LEAF_SIGNATURE (if it uses a private CA, put the CA certificate in /etc/containers/certs.d/${plain}/ca.crt)`);
  });

  it('the CA in certs.d/<host:port>/ca.crt: the pull succeeds', async () => {
    mkdirSync(certsD(plain), { recursive: true });
    writeFileSync(path.join(certsD(plain), 'ca.crt'), readFileSync(path.join(pki(), 'ca.crt')));
    const r = await pull(plain);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(`${plain}/certs/app:v1 ${img.digest}\n`);
  });

  it('marked insecure: pulled over HTTPS without checking the certificate (docker\'s and podman\'s insecure), no CA needed', async () => {
    const config = path.join(tmp.dir, 'ctnr.config.json');
    const unknown = await terminator(); // no certs.d entry for this one
    writeFileSync(config, JSON.stringify({ registries: { [unknown]: { insecure: true } } }));
    try {
      const r = await pull(unknown);
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toBe(`${unknown}/certs/app:v1 ${img.digest}\n`);
    } finally {
      rmSync(config);
    }
  });

  it('a loopback registry behind TLS with a certificate nobody trusts: pulled without a config, as docker does', async () => {
    const local = await terminator(undefined, '127.0.0.1');
    const r = await pull(local);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(`${local}/certs/app:v1 ${img.digest}\n`);
  });

  it('mutual TLS: refused without a client certificate, pulled with NAME.cert and NAME.key', async () => {
    mkdirSync(certsD(mutual), { recursive: true });
    writeFileSync(path.join(certsD(mutual), 'ca.crt'), readFileSync(path.join(pki(), 'ca.crt')));
    const without = await pull(mutual);
    expect(without.status).toBe(1);
    // Under TLS 1.3 the registry says so after the handshake, in an alert fetch does not pass on: ctnr looks again.
    expect(without.stderr).toContain(`TLS failure with ${mutual}: it asks for a client certificate, and ctnr has none for it (put NAME.cert and NAME.key in ${certsD(mutual)}/)`);
    writeFileSync(path.join(certsD(mutual), 'puller.cert'), readFileSync(path.join(pki(), 'client.crt')));
    const lonely = await pull(mutual);
    expect(lonely.status).toBe(1);
    expect(lonely.stderr).toContain(`${path.join(certsD(mutual), 'puller.cert')} has no key beside it (puller.key)`);
    writeFileSync(path.join(certsD(mutual), 'puller.key'), readFileSync(path.join(pki(), 'client.key')));
    const r = await pull(mutual);
    expect([r.status, r.stderr]).toEqual([0, '']);
    // A certificate the registry does not accept (signed by nobody it trusts): node's TLS server hangs up without an
    // alert, and the error says what that may mean.
    writeFileSync(path.join(certsD(mutual), 'puller.cert'), readFileSync(path.join(pki(), 'stranger.crt')));
    writeFileSync(path.join(certsD(mutual), 'puller.key'), readFileSync(path.join(pki(), 'stranger.key')));
    const refused = await pull(mutual);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`TLS failure with ${mutual}: it hangs up after the handshake without answering; it may not accept the client certificate from ${certsD(mutual)}\n`);
    rmSync(certsD(mutual), { recursive: true });
  });
});
