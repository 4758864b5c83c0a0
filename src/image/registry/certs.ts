import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { isDirectory } from '../../linux/file-kind.js';

/**
 * A registry's own TLS trust, where docker and podman keep it: a directory named after the registry (`host:port`, or
 * `host` for port 443) under `$XDG_CONFIG_HOME/containers/certs.d` (default `~/.config/…`; not for root),
 * `/etc/containers/certs.d` or `/etc/docker/certs.d`, the first that exists (containers/image's order). In it, every `*.crt` is a CA
 * certificate trusted for that registry beside the system's, and a `NAME.cert` with its `NAME.key` is a client
 * certificate the registry may ask for (mutual TLS). A `.cert` without its `.key` (or the reverse) is an error, as in
 * docker, rather than a connection that fails later for another reason.
 */
/** A certs.d directory that cannot be used (an unreadable file, a client certificate without its key). */
export class CertsError extends Error {}

export interface RegistryTls {
  /** The directory the files came from (for messages). */
  dir: string;
  /** The system's CA certificates and the directory's (PEM). */
  ca?: string[];
  cert?: string;
  key?: string;
}

/**
 * The directories searched for `host` (`registry.example:5000`), in order. The user's own directory only for a user
 * other than root, as containers/image: root's pulls (`sudo` may keep a user's HOME) trust no CA a user put there.
 */
export function certsDirs(host: string, env: NodeJS.ProcessEnv = process.env, uid = process.geteuid?.() ?? 0): string[] {
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  const user = uid !== 0 ? [path.join(config, 'containers/certs.d')] : [];
  return [...user, '/etc/containers/certs.d', '/etc/docker/certs.d'].map((d) => path.join(d, host));
}

/** The certs.d name of the registry at `origin` (`https://host:port`): host:port, or the host alone on 443. */
export function certsName(origin: string): string {
  const u = new URL(origin);
  return u.port === '' || u.port === '443' ? u.hostname : `${u.hostname}:${u.port}`;
}

const cache = new Map<string, RegistryTls | undefined>();

/** The TLS settings for the registry at `origin`, or undefined when no certs.d directory names it. */
export function registryTls(origin: string, env: NodeJS.ProcessEnv = process.env, uid = process.geteuid?.() ?? 0): RegistryTls | undefined {
  if (new URL(origin).protocol !== 'https:') return undefined;
  const name = certsName(origin);
  // A name that is not one path segment (a malformed host) never becomes a path.
  if (name === '' || name.includes('/') || name === '.' || name === '..') return undefined;
  const key = `${name}\0${env.XDG_CONFIG_HOME ?? ''}\0${env.HOME ?? ''}\0${uid}`;
  if (cache.has(key)) return cache.get(key);
  const dir = certsDirs(name, env, uid).find(isDirectory);
  const tls = dir === undefined ? undefined : readCertsDir(dir);
  cache.set(key, tls);
  return tls;
}

function readCertsDir(dir: string): RegistryTls {
  const names = readdirSync(dir).sort();
  const read = (f: string) => {
    try {
      return readFileSync(path.join(dir, f), 'utf8');
    } catch (err) {
      throw new CertsError(`cannot read ${path.join(dir, f)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const cas = names.filter((f) => f.endsWith('.crt')).map(read);
  const certs = names.filter((f) => f.endsWith('.cert'));
  const keys = names.filter((f) => f.endsWith('.key'));
  for (const c of certs) {
    if (!keys.includes(c.replace(/\.cert$/, '.key'))) throw new CertsError(`${path.join(dir, c)} has no key beside it (${c.replace(/\.cert$/, '.key')})`);
  }
  for (const k of keys) {
    if (!certs.includes(k.replace(/\.key$/, '.cert'))) throw new CertsError(`${path.join(dir, k)} has no certificate beside it (${k.replace(/\.key$/, '.cert')})`);
  }
  const client = certs[0];
  return {
    dir,
    ...(cas.length > 0 ? { ca: [...rootCertificates, ...cas] } : {}),
    ...(client ? { cert: read(client), key: read(client.replace(/\.cert$/, '.key')) } : {}),
  };
}

