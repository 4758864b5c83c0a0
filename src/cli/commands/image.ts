import path from 'node:path';
import { CtnrError } from '../../engine/errors.js';
import { inspectImage, listImages, pruneImages, removeImages } from '../../image/admin.js';
import { parsePlatform } from '../../image/platform.js';
import { pullImage } from '../../image/pull.js';
import { familiarString, parseReference, referenceString } from '../../image/reference.js';
import { ImageStore } from '../../image/store.js';
import type { RegistriesConfig } from '../../image/types.js';
import { pullProgress } from '../image/progress.js';
import { humanBytes, table } from '../format.js';
import { configuredDataDir } from './data-dir.js';
import { listBundles } from '../../bundle/store.js';

export interface ImageCommandOptions {
  dataDir?: string;
  rootless?: boolean;
  config?: string;
  json?: boolean;
  platform?: string;
}

/** The store and registry settings: --data-dir, else the config's dataDir, else the default for root/rootless. */
async function storeAndRegistries(opts: ImageCommandOptions): Promise<{ store: ImageStore; registries?: RegistriesConfig }> {
  const { dataDir, config } = await configuredDataDir(opts);
  return { store: new ImageStore(dataDir), ...(config.config.registries ? { registries: config.config.registries } : {}) };
}

export async function pullCommand(refs: string[], opts: ImageCommandOptions): Promise<void> {
  const parsed = refs.map((r) => parseReference(r));
  const { store, registries } = await storeAndRegistries(opts);
  const progress = pullProgress();
  for (const ref of parsed) {
    const image = await pullImage(store, ref, {
      ...(registries ? { registries } : {}),
      ...(opts.platform ? { platform: parsePlatform(opts.platform) } : {}),
      ...(progress ? { onProgress: progress } : {}),
    });
    process.stdout.write(`${referenceString(ref)} ${image.manifestDigest}\n`);
  }
}



export async function imagesCommand(opts: ImageCommandOptions): Promise<void> {
  const { store } = await storeAndRegistries(opts);
  const images = listImages(store);
  if (opts.json) {
    process.stdout.write(JSON.stringify(images, null, 2) + '\n');
    return;
  }
  const rows = [['REFERENCE', 'DIGEST', 'PLATFORM', 'SIZE', 'CREATED']];
  for (const i of images) {
    rows.push([familiarString(parseReference(i.reference)), i.digest.slice(7, 19), i.platform, humanBytes(i.size), i.created ?? '-']);
  }
  process.stdout.write(table(rows));
}

export async function imageRmCommand(refs: string[], opts: ImageCommandOptions): Promise<void> {
  const { store } = await storeAndRegistries(opts);
  for (const name of await removeImages(store, refs)) process.stdout.write(`untagged ${name}\n`);
  process.stderr.write('(run `ctnr image prune` to free the space of blobs nothing references)\n');
}

export async function imagePruneCommand(opts: ImageCommandOptions): Promise<void> {
  const { dataDir } = await configuredDataDir(opts);
  const store = new ImageStore(dataDir);
  // The image files the data dir's bundles bind with `type: image` volumes stay while those bundles exist.
  const bundleMounts = listBundles(dataDir).flatMap((b) => b.metadata?.imageMounts?.map((m) => m.path) ?? []);
  const r = await pruneImages(store, { bundleMounts });
  if (opts.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return;
  }
  for (const d of r.blobs) process.stdout.write(`deleted blob ${d}\n`);
  for (const d of r.rootfs) process.stdout.write(`deleted unpacked rootfs ${d}\n`);
  for (const d of r.partial) process.stdout.write(`deleted partial download ${d}\n`);
  for (const d of r.scratch) process.stdout.write(`deleted the scratch directory of a killed import or build ${d}\n`);
  process.stdout.write(`reclaimed ${humanBytes(r.bytes)} of blobs, partial downloads and scratch directories\n`);
}

export async function imageInspectCommand(ref: string, opts: ImageCommandOptions): Promise<void> {
  const { store } = await storeAndRegistries(opts);
  const image = inspectImage(store, ref);
  const out = {
    reference: image.reference,
    digest: image.manifestDigest,
    platform: image.platform,
    pulled: image.pulled,
    size: image.size,
    ...(image.created ? { created: image.created } : {}),
    config: image.configDoc,
    layers: image.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: image.diffIds[i] })),
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

export async function imageImportCommand(file: string, opts: ImageCommandOptions & { tag?: string }): Promise<void> {
  const { store } = await storeAndRegistries(opts);
  const { importArchive } = await import('../../image/import.js');
  const imported = await importArchive(store, path.resolve(file), {
    ...(opts.tag ? { tag: opts.tag } : {}),
    ...(opts.platform ? { platform: parsePlatform(opts.platform) } : {}),
  });
  if (imported.length === 0) throw new CtnrError('IMAGE_INVALID', `${file} holds no image`);
  for (const i of imported) process.stdout.write(`${i.reference ?? '(untagged)'} ${i.manifestDigest}\n`);
  // Nothing can name an untagged image (services and `run` name images by reference) and prune removes it.
  for (const i of imported.filter((x) => !x.reference)) {
    process.stderr.write(`warning: image ${i.manifestDigest} from ${file} has no name in the archive, so nothing can run it and the next \`ctnr image prune\` removes it: import it again with --tag REPOSITORY[:TAG]\n`);
  }
}

