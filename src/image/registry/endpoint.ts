import { CtnrError } from '../../engine/errors.js';
import { DOCKER_HUB } from '../reference.js';
import type { ImageReference, RegistriesConfig } from '../types.js';

/**
 * One place an image can be read from: the registry of its reference or one of that registry's mirrors.
 * `registry` and `repository` are what credentials are looked up by; `host` is where requests go.
 */
export interface Endpoint {
  /**
   * Where requests go first: `https://registry-1.docker.io`; `http://cache.lan:8080` only for a mirror named with
   * `http://`. An `insecure` endpoint may move to plain HTTP once it has been tried (./session.ts).
   */
  origin: string;
  /**
   * Docker's and podman's insecure registry: HTTPS without checking the certificate, then plain HTTP when HTTPS
   * fails. What the config's `insecure: true` asks for, and what loopback hosts get (docker's default for 127.0.0.0/8).
   */
  insecure: boolean;
  /** host[:port] requests go to (`registry-1.docker.io` for docker.io). */
  host: string;
  /** host[:port] as the user names it (`docker.io`, a mirror's host). */
  registry: string;
  /** Repository path on this host: the mirror's path prefix + the reference's repository. */
  repository: string;
  /** `127.0.0.1:5000/m/library/hello`, `docker.io/library/hello`: how messages name this place. */
  location: string;
  mirror: boolean;
}

/** Docker Hub's name in references is not a host that serves the API. */
const API_HOSTS: Record<string, string> = { [DOCKER_HUB]: 'registry-1.docker.io' };

/** Mirrors of `ref.registry` in their configured order, then the registry itself. */
export function endpointsFor(ref: Pick<ImageReference, 'registry' | 'repository'>, registries: RegistriesConfig = {}): Endpoint[] {
  const mirrors = settingsFor(ref.registry, registries)?.mirrors ?? [];
  return [...mirrors.map((m) => mirrorEndpoint(m, ref, registries)), registryEndpoint(ref.registry, ref.repository, registries)];
}

/** The registry itself (`repository` may be empty, as for a login check). */
export function registryEndpoint(registry: string, repository: string, registries: RegistriesConfig = {}): Endpoint {
  const host = API_HOSTS[registry] ?? registry;
  const insecure = settingsFor(registry, registries)?.insecure === true || isLoopback(host);
  return { origin: `https://${host}`, insecure, host, registry, repository, location: repository ? `${registry}/${repository}` : registry, mirror: false };
}

/**
 * A mirror is `host[:port][/path-prefix]`; the reference's repository is appended to the prefix (docker.io's
 * `library/hello` through `127.0.0.1:5000/m` is `127.0.0.1:5000/m/library/hello`). A leading `http://` asks for
 * plain HTTP alone (nothing is tried over HTTPS), `https://` is accepted and changes nothing.
 */
function mirrorEndpoint(text: string, ref: Pick<ImageReference, 'registry' | 'repository'>, registries: RegistriesConfig): Endpoint {
  const scheme = /^(https?):\/\//.exec(text)?.[1];
  const rest = text.slice(scheme ? scheme.length + 3 : 0).replace(/\/+$/, '');
  const slash = rest.indexOf('/');
  const host = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1);
  const badPrefix = prefix !== '' && prefix.split('/').some((part) => part === '' || part === '.' || part === '..');
  if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?$/.test(host) || badPrefix) {
    throw new CtnrError('REGISTRY_FAILED', `mirror "${text}" of ${ref.registry} is not host[:port][/path-prefix]`);
  }
  const plain = scheme === 'http';
  const insecure = !plain && (settingsFor(rest, registries)?.insecure === true || settingsFor(host, registries)?.insecure === true || isLoopback(host));
  const repository = prefix ? `${prefix}/${ref.repository}` : ref.repository;
  return { origin: `${plain ? 'http' : 'https'}://${host}`, insecure, host, registry: host, repository, location: `${host}/${repository}`, mirror: true };
}

/**
 * `registry`'s mirrors as `host[:port][/path-prefix]` places, in order, each with whether it is insecure (certificate
 * unchecked, plain HTTP allowed: registries.conf's `insecure`): what a builder's registries.conf says of them
 * (src/image/build-registries.ts).
 */
export function mirrorPlaces(registry: string, registries: RegistriesConfig = {}): Array<{ location: string; insecure: boolean }> {
  return (settingsFor(registry, registries)?.mirrors ?? []).map((m) => {
    const e = mirrorEndpoint(m, { registry, repository: '' }, registries);
    const prefix = e.repository.replace(/\/+$/, '');
    return { location: prefix ? `${e.host}/${prefix}` : e.host, insecure: isInsecure(e) };
  });
}

/** Whether ctnr may reach `e` without a checked certificate: an insecure registry, or a mirror named with http://. */
export function isInsecure(e: Endpoint): boolean {
  return e.insecure || e.origin.startsWith('http:');
}

/** Settings are keyed as references name registries; Docker Hub's other names find docker.io's entry too. */
function settingsFor(registry: string, registries: RegistriesConfig) {
  if (Object.hasOwn(registries, registry)) return registries[registry];
  if (registry === DOCKER_HUB) return registries['index.docker.io'] ?? registries['registry-1.docker.io'];
  return undefined;
}

/** localhost, 127.0.0.0/8 and ::1 are insecure registries, as docker treats them: nobody has a certificate for them. */
export function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}
