import { DOCKER_HUB } from './reference.js';
import { isInsecure, mirrorPlaces, registryEndpoint } from './registry/endpoint.js';
import type { RegistriesConfig } from './types.js';

/** Docker Hub's other names in a config's `registries` (ctnr reads docker.io's settings from them too). */
const HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io']);

/**
 * A containers-registries.conf(5) for podman's and buildah's builds (CONTAINERS_REGISTRIES_CONF), so a Dockerfile's
 * `FROM` is pulled the way ctnr pulls a service's image, not as the host's podman is set up: a short name is Docker
 * Hub's, as ctnr and docker read it (Debian's podman defines no search registry, and `FROM node:20`, what compose
 * projects' Dockerfiles say, failed), and the config's `registries` apply: the same mirrors, `insecure` (an unchecked
 * certificate, then plain HTTP, as podman reads it) where ctnr treats a registry so (loopback registries too).
 * Credentials need nothing: podman and buildah read the auth files `ctnr login` writes.
 */
export function builderRegistriesConf(registries: RegistriesConfig = {}): string {
  const names = [...new Set(Object.keys(registries).map((r) => (HUB_ALIASES.has(r) ? DOCKER_HUB : r)))].sort();
  const lines = [
    "# Written by ctnr for one build from its config's registries (src/image/build-registries.ts).",
    `unqualified-search-registries = [${toml(DOCKER_HUB)}]`,
    'short-name-mode = "permissive"',
  ];
  for (const name of names) {
    lines.push('', '[[registry]]', `prefix = ${toml(name)}`, `location = ${toml(name)}`, `insecure = ${isInsecure(registryEndpoint(name, '', registries))}`);
    for (const mirror of mirrorPlaces(name, registries)) {
      lines.push('', '[[registry.mirror]]', `location = ${toml(mirror.location)}`, `insecure = ${mirror.insecure}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A TOML basic string: JSON's escapes (\", \\, \n, \uXXXX …) are TOML's; TOML also wants DEL escaped. */
function toml(text: string): string {
  return JSON.stringify(text).replace(/\x7f/g, '\\u007f');
}
