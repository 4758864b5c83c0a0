import { describe, expect, it } from 'vitest';
import { builderRegistriesConf } from '../../../src/image/build-registries.js';
import type { RegistriesConfig } from '../../../src/image/types.js';

/** The config's `registries` as the registries.conf podman and buildah build with (CONTAINERS_REGISTRIES_CONF). */
const HEADER = [
  "# Written by ctnr for one build from its config's registries (src/image/build-registries.ts).",
  'unqualified-search-registries = ["docker.io"]',
  'short-name-mode = "permissive"',
];

describe('a build’s registries.conf', () => {
  it("without registries in the config: short names are Docker Hub's, as for ctnr's pulls", () => {
    expect(builderRegistriesConf(undefined)).toBe(HEADER.join('\n') + '\n');
    expect(builderRegistriesConf({})).toBe(HEADER.join('\n') + '\n');
  });

  it.each<{ what: string; registries: RegistriesConfig; body: string[] }>([
    {
      what: "Docker Hub's mirrors in order (a path prefix kept; loopback and http:// ones plain HTTP, as ctnr pulls)",
      registries: { 'docker.io': { mirrors: ['mirror.internal/hub', '127.0.0.1:5000/m', 'http://cache.lan:8080'] } },
      body: [
        '[[registry]]', 'prefix = "docker.io"', 'location = "docker.io"', 'insecure = false', '',
        '[[registry.mirror]]', 'location = "mirror.internal/hub"', 'insecure = false', '',
        '[[registry.mirror]]', 'location = "127.0.0.1:5000/m"', 'insecure = true', '',
        '[[registry.mirror]]', 'location = "cache.lan:8080"', 'insecure = true',
      ],
    },
    {
      what: "Docker Hub's settings under another of its names, an insecure registry, a mirror named insecure",
      registries: { 'index.docker.io': { mirrors: ['hub.lan'] }, 'registry.lan:5000': { insecure: true }, 'hub.lan': { insecure: true } },
      body: [
        '[[registry]]', 'prefix = "docker.io"', 'location = "docker.io"', 'insecure = false', '',
        '[[registry.mirror]]', 'location = "hub.lan"', 'insecure = true', '',
        '[[registry]]', 'prefix = "hub.lan"', 'location = "hub.lan"', 'insecure = true', '',
        '[[registry]]', 'prefix = "registry.lan:5000"', 'location = "registry.lan:5000"', 'insecure = true',
      ],
    },
    {
      what: 'a registry name that needs escaping stays one TOML string',
      registries: { 'odd"name\\x\u007f': { insecure: true } },
      body: ['[[registry]]', 'prefix = "odd\\"name\\\\x\\u007f"', 'location = "odd\\"name\\\\x\\u007f"', 'insecure = true'],
    },
  ])('$what', ({ registries, body }) => {
    expect(builderRegistriesConf(registries)).toBe([...HEADER, '', ...body].join('\n') + '\n');
  });
});
