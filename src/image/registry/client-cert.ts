import { certsName, registryTls } from './certs.js';
import { RegistryFailure } from './failure.js';

/** How long the second look waits for the registry's answer. */
const LOOK_TIMEOUT_MS = 3_000;

/**
 * Why an HTTPS registry hung up, when it is about a client certificate. Under TLS 1.3 a registry that wants one (mutual
 * TLS) says so only after the handshake, in an alert fetch does not pass on: the request just fails as a dropped
 * connection, which would be retried, and then reported without a clue. So a dropped connection to an HTTPS registry
 * reached directly gets a second look with node's own TLS, which does report the alert: a registry that asked for a
 * certificate ctnr does not have, or refused the one from certs.d, becomes an error saying which (and is not
 * retried). Anything else: undefined, and the failure stands as it was.
 */
export async function clientCertFailure(url: string, failure: RegistryFailure, proxy: string | undefined, insecure: boolean): Promise<RegistryFailure | undefined> {
  const u = new URL(url);
  if (u.protocol !== 'https:' || proxy !== undefined || !failure.reason.startsWith('connection dropped')) return undefined;
  let own: ReturnType<typeof registryTls>;
  try {
    own = registryTls(u.origin);
  } catch {
    return undefined; // a certs.d problem is reported by the request itself
  }
  const client = own?.cert !== undefined ? { cert: own.cert, key: own.key, dir: own.dir } : undefined;
  const seen = await secondLook(u, client, insecure ? { check: false } : { check: true, ...(own?.ca ? { ca: own.ca } : {}) });
  if (seen === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') {
    return new RegistryFailure('REGISTRY_FAILED', `TLS failure with ${u.host}: it asks for a client certificate, and ctnr has none for it (put NAME.cert and NAME.key in /etc/containers/certs.d/${certsName(u.origin)}/)`);
  }
  if (client === undefined || seen === undefined) return undefined;
  // Node's own TLS servers, among others, hang up on a certificate they do not accept without an alert.
  if (seen === 'closed') return new RegistryFailure('REGISTRY_FAILED', `TLS failure with ${u.host}: it hangs up after the handshake without answering; it may not accept the client certificate from ${client.dir}`);
  return new RegistryFailure('REGISTRY_FAILED', `TLS failure with ${u.host}: it refused the client certificate from ${client.dir} (${seen})`);
}

/**
 * What the registry does after a handshake and a request: the TLS alert it sends, `closed` when it hangs up without
 * a word, undefined when it answers (or the handshake itself failed, or nothing came in time).
 */
function secondLook(u: URL, client: { cert: string; key?: string | undefined } | undefined, trust: { check: boolean; ca?: string[] }): Promise<string | undefined> {
  const tls = process.getBuiltinModule('node:tls');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    let done = false;
    let secured = false;
    const finish = (what: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(what);
    };
    // The registry's certificate is checked as the request checked it (the client certificate goes to no one else).
    const socket = tls.connect({
      host,
      port: Number(u.port || 443),
      // SNI names a host, never an address.
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
      rejectUnauthorized: trust.check,
      ...(trust.ca ? { ca: trust.ca } : {}),
      ...(client?.key !== undefined ? { cert: client.cert, key: client.key } : {}),
    });
    const timer = setTimeout(() => finish(undefined), LOOK_TIMEOUT_MS);
    socket.once('secureConnect', () => {
      secured = true;
      socket.write(`GET /v2/ HTTP/1.1\r\nhost: ${u.host}\r\nconnection: close\r\n\r\n`);
    });
    socket.once('data', () => finish(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(/_ALERT_/.test(err.code ?? '') ? err.code : secured ? 'closed' : undefined));
    socket.once('close', () => finish(secured ? 'closed' : undefined));
  });
}
