import { statSync } from 'node:fs';
import path from 'node:path';
import { CtnrError, renderPath } from '../engine/errors.js';
import type { VolumeMount } from '../engine/service-types.js';
import type { ImageSources } from './config.js';
import { imageForService, rootfsForImage, type ProjectImageSettings, type ServiceImageKeys } from './for-service.js';
import { rootfsCacheDir } from './rootfs.js';
import { ImageStore } from './store.js';
import type { IdMapping, ImageWarning } from './types.js';

/**
 * `type: image` volumes (compose; docker's `--mount type=image`): where the files of each mounted image are on
 * this host, for `env.imageMounts` (plugins/mounts/volumes.ts binds them read-only). An image the config's
 * `images` table maps to a `rootfs` directory is that directory; any other comes from the image store, pulled per
 * the service's pull policy and platform like the service's own image, and unpacked into the store's rootfs
 * cache (the one bundles of that image use as their lower layer), which `ctnr image prune` keeps while a bundle
 * names it (BundleMetadata.imageMounts).
 */

export interface ImageMountOptions {
  /** Unpack the images (a bundle needs their files); without it only where the files will be is computed (a spec). */
  unpack: boolean;
  /** Rootless: the cache of files owned by the user's subordinate ids (as the service's own rootfs). */
  idMapping?: IdMapping;
  onWarning?: (w: ImageWarning) => void;
}

/** One mounted image: the volume's `source` as written and the host directory of its files. */
export interface ImageMount {
  source: string;
  path: string;
  /** For a store image: the reference and manifest it resolved to. */
  image?: { reference: string; manifest: string };
}

export interface ImageMountProject {
  images: ProjectImageSettings;
  imageSources?: ImageSources;
}

/** The distinct images a service's volumes mount, each with the index of its first volume. */
export function mountedImages(volumes: unknown): Array<{ source: string; index: number }> {
  if (!Array.isArray(volumes)) return [];
  const out = new Map<string, number>();
  (volumes as VolumeMount[]).forEach((v, i) => {
    if (v?.type === 'image' && typeof v.source === 'string' && v.source !== '' && !out.has(v.source)) out.set(v.source, i);
  });
  return [...out].map(([source, index]) => ({ source, index }));
}

/** The host directory of every image `service` mounts, in the order its volumes name them. */
export async function resolveImageMounts(project: ImageMountProject, serviceName: string, service: ServiceImageKeys & { volumes?: unknown }, opts: ImageMountOptions): Promise<ImageMount[]> {
  const out: ImageMount[] = [];
  for (const { source, index } of mountedImages(service.volumes)) {
    const where = renderPath(['services', serviceName, 'volumes', index, 'source']);
    const mapping = project.imageSources?.images?.[source];
    if (mapping !== undefined) {
      out.push({ source, path: mappedRootfs(project.imageSources!, source, mapping, where, opts.unpack) });
      continue;
    }
    const keys: ServiceImageKeys = { image: source, pull_policy: service.pull_policy, pull_refresh_after: service.pull_refresh_after, platform: service.platform };
    const stored = await imageForService(project.images, serviceName, keys, opts.unpack, where);
    const dir = opts.unpack
      ? await rootfsForImage(project.images, stored, opts.idMapping, opts.onWarning)
      : rootfsCacheDir(new ImageStore(project.images.dataDir), stored, opts.idMapping);
    out.push({ source, path: dir, image: { reference: stored.reference ?? source, manifest: stored.manifestDigest } });
  }
  return out;
}

/** `env.imageMounts` from resolved mounts. */
export function imageMountTable(mounts: readonly ImageMount[]): Record<string, string> {
  const table: Record<string, string> = {};
  for (const m of mounts) table[m.source] = m.path;
  return table;
}

function mappedRootfs(sources: ImageSources, source: string, mapping: { rootfs?: string; layout?: string }, where: string, mustExist: boolean): string {
  const origin = `images["${source}"]`;
  if (!mapping.rootfs) {
    throw new CtnrError(
      'SERVICE_INVALID',
      `image "${source}": the config's ${origin} names ${mapping.layout ? `the image layout ${mapping.layout}` : 'no rootfs'}; an image mount needs a rootfs directory there, or the image in the store (ctnr image import${mapping.layout ? ` ${mapping.layout}` : ' FILE'})`,
      { path: where },
    );
  }
  const dir = path.resolve(sources.mappingBase ?? sources.cwd ?? process.cwd(), mapping.rootfs);
  if (mustExist && !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CtnrError('SERVICE_INVALID', `image "${source}": the config's ${origin}.rootfs ${dir} is not a directory`, { path: where });
  }
  return dir;
}
