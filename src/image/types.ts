/**
 * Shared shapes of the image subsystem (OCI image-spec and distribution-spec terms). Every module under
 * src/image/ speaks these; nothing here does I/O.
 */

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([MEDIA.ociIndex, MEDIA.dockerList]);
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([MEDIA.ociManifest, MEDIA.dockerManifest]);

export type Compression = 'none' | 'gzip' | 'zstd';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  /** `sha256:<64 hex>` (sha512 accepted where the spec allows it). */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

/** A parsed, normalised image reference (docker's rules: `postgres` → `docker.io/library/postgres:latest`). */
export interface ImageReference {
  /** Registry host[:port] as written after normalisation (`docker.io`, `127.0.0.1:5000`). */
  registry: string;
  /** Repository path inside the registry (`library/postgres`). */
  repository: string;
  /** Tag; `latest` when neither tag nor digest was given. */
  tag?: string;
  /** `sha256:…` when pinned. */
  digest?: string;
}

/** An image manifest (OCI or docker v2s2; both have this shape). */
export interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** Per-registry settings from the ctnr config's `registries` table. */
export interface RegistrySettings {
  /** `host[:port][/path-prefix]`, tried in order before the registry itself. */
  mirrors?: string[];
  /** Plain HTTP (and no TLS verification) for this registry. */
  insecure?: boolean;
}

export type RegistriesConfig = Readonly<Record<string, RegistrySettings>>;

/** One mapping range of a user namespace: container ids [containerId, containerId+size) ↔ host ids. */
export interface IdRange {
  containerId: number;
  hostId: number;
  size: number;
}

export interface IdMapping {
  uids: IdRange[];
  gids: IdRange[];
}

/** A warning for the user (not fatal); `code` is stable. */
export interface ImageWarning {
  code: string;
  message: string;
}

/** Progress events a CLI can draw; nothing is printed by the library itself. */
export type PullProgress =
  | { kind: 'resolve'; reference: string; location: string }
  | { kind: 'blob-start'; digest: string; size: number; offset: number }
  | { kind: 'blob-progress'; digest: string; size: number; done: number }
  | { kind: 'blob-done'; digest: string; size: number; cached: boolean }
  | { kind: 'unpack'; digest: string };

export type { ImageConfig } from '../engine/types.js';
