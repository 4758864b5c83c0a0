import { CtnrError } from '../engine/errors.js';
import type { ImageReference } from './types.js';

/**
 * Image references with docker's normalisation (distribution's `reference` package, as vendored in
 * containers/image `docker/reference`): `postgres` → `docker.io/library/postgres:latest`. The grammar is
 *   [domain/]path[:tag][@digest]
 * where the first `/`-separated part is a domain only if it holds a `.` or `:` or is `localhost`.
 */

export const DOCKER_HUB = 'docker.io';
/** Names that mean Docker Hub too; references written with them normalise to `docker.io`. */
const DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io']);
const OFFICIAL_NAMESPACE = 'library';
const DEFAULT_TAG = 'latest';
/** distribution's NameTotalLengthMax: domain + '/' + path. */
const NAME_MAX = 255;

// One path component: lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
// A DNS-ish host (labels of letters, digits, inner dashes) or a bracketed IPv6 address, with an optional port.
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^\w[\w.-]{0,127}$/;
// The algorithms go-digest accepts, with the hex length each must have (lowercase, as the spec requires).
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;

export function parseReference(input: string): ImageReference {
  const fail = (why: string): never => {
    throw new CtnrError('IMAGE_REFERENCE', `"${input}" is not a valid image reference: ${why}`);
  };
  if (input === '') fail('it is empty');
  // docker refuses these so that an image ID is never mistaken for a Hub repository of that name.
  if (IMAGE_ID.test(input)) fail('a 64-character hex string is an image ID, not a repository');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`"${digest}" is not a digest (sha256:<64 lowercase hex> or sha512:<128 lowercase hex>)`);
  }

  // The tag is after the last ':' that follows the last '/', so a registry port is never taken for a tag.
  let tag: string | undefined;
  const colon = rest.indexOf(':', rest.lastIndexOf('/') + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`tag "${tag}" must be 1 to 128 letters, digits, '_', '.' or '-', and not start with '.' or '-'`);
  }
  if (rest === '') fail('the repository name is missing');

  let { registry, repository } = splitRegistry(rest);
  if (!DOMAIN.test(registry)) fail(`"${registry}" is not a registry host[:port]`);
  if (DOCKER_HUB_ALIASES.has(registry)) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `${OFFICIAL_NAMESPACE}/${repository}`;

  if (repository !== repository.toLowerCase()) fail('repository names must be lowercase');
  for (const part of repository.split('/')) {
    if (!PATH_COMPONENT.test(part)) {
      fail(`"${repository}" is not a repository path (lowercase letters and digits, separated inside a part by '.', '_', '__' or '-', parts by '/')`);
    }
  }
  if (registry.length + 1 + repository.length > NAME_MAX) fail(`the name is longer than ${NAME_MAX} characters`);

  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  else if (tag === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** docker's splitDockerDomain: the first part is a registry only when it looks like a host. */
function splitRegistry(name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { registry: DOCKER_HUB, repository: name };
  const first = name.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) {
    return { registry: first, repository: name.slice(slash + 1) };
  }
  return { registry: DOCKER_HUB, repository: name };
}

/** The full form: `docker.io/library/postgres:16`, `h:5000/r@sha256:…`, `h/r:t@sha256:…`. */
export function referenceString(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${suffix(ref)}`;
}

/** The short form people type: `postgres:16`, `user/app:1`, `ghcr.io/o/r:t`. */
export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref)}${suffix(ref)}`;
}

/** `postgres`, `user/app`, `ghcr.io/o/r`: the repository without tag or digest, as docker prints it. */
export function familiarName(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  if (ref.registry !== DOCKER_HUB) return `${ref.registry}/${ref.repository}`;
  const parts = ref.repository.split('/');
  return parts.length === 2 && parts[0] === OFFICIAL_NAMESPACE ? parts[1]! : ref.repository;
}

function suffix(ref: ImageReference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}
