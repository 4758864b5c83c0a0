import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { readImageConfigFile, type ImageConfig } from '../image/config.js';
import { imageSettings, locatedAt, runService, servicePlatform, type LoadedProject, type ServiceRun } from '../project.js';
import { selectService } from '../compose/select.js';
import { serviceImageName } from '../compose/image-name.js';
import { copyRootfs } from '../image/rootfs.js';
import { mountOverlayRootfs, overlaySupported } from './rootfs-mount.js';
import type { StoredImage } from '../image/store.js';
import type { ServiceImageKeys } from '../image/for-service.js';
import type { IdMapping } from '../image/types.js';
import { servicePolicy } from '../policy/apply.js';
import type { Spec } from '../spec/types.js';
import { readLayout, unpackLayers, type LayoutImage } from './layout.js';
import { inputDigest, newMetadata, type BundleMetadata } from './metadata.js';
import { bundlesDir } from './store.js';
import { seedVolumes, volumeSeeds } from './seed-volumes.js';
import { serviceHash, type RootfsSelector } from './service-hash.js';
import { BundleStaging } from './writer.js';
import type { ServiceInput } from '../engine/engine.js';
import { ensurePrivateDir } from './private-dir.js';
import { removeBundleTree } from './rootfs-mount.js';

export interface CreateBundleOptions {
  /** Bundle directory; default `<dataDir>/bundles/<project>-<service>`. */
  dir?: string;
  /** Root filesystem directory used in place (root.path points at it; nothing is copied). */
  rootfs?: string;
  /** OCI image layout: its config feeds the pipeline and its layers are unpacked into `<bundle>/rootfs`. */
  image?: string;
  force?: boolean;
  /** Replaces the service's `command` (like `docker compose run SERVICE COMMAND…`). */
  command?: readonly string[];
  /** Rootless: how image ids map to host ids when the rootfs is unpacked (see src/image/idmap.ts). */
  idMapping?: IdMapping;
  /** Called before slow steps (unpacking, generating, writing) so a CLI can show progress. */
  progress?: (step: string) => void;
}

export interface CreatedBundle {
  dir: string;
  spec: Spec;
  metadata: BundleMetadata;
  run: ServiceRun;
}

type RootfsSource = RootfsSelector;

/** Default bundle directory of a service: one per project and service under the data dir. */
export function defaultBundleDir(project: LoadedProject, service: string): string {
  return path.join(bundlesDir(project.env.dataDir), `${project.compose.name}-${service}`);
}

/**
 * The configuration a bundle of `service` is made from, as a hash (./service-hash.ts): what `createBundle` records
 * and what `up` compares a running container's with. `opts`: the command line's `--rootfs`/`--image` and `run`'s
 * command.
 */
export function serviceHashOf(
  project: LoadedProject,
  service: string,
  opts: Pick<CreateBundleOptions, 'rootfs' | 'image' | 'command'> = {},
  selected: ServiceInput = selectService(project.compose, service).input,
): string {
  const given = project.imageSources?.imageConfig;
  return serviceHash({
    input: selected,
    ...(project.config.file ? { configBytes: fileBytes(project.config.file) } : {}),
    rootfs: rootfsSource(project, service, opts, selected.service as ServiceImageKeys),
    ...(given ? { imageConfigBytes: fileBytes(path.resolve(project.imageSources?.cwd ?? process.cwd(), given)) } : {}),
    rootless: project.env.rootless,
    ...(opts.command?.length ? { command: opts.command } : {}),
  });
}

/** `--rootfs`, `--image`, or the config's `images` mapping for the service's `image:`; else a usage error. */
function rootfsSource(project: LoadedProject, service: string, opts: Pick<CreateBundleOptions, 'rootfs' | 'image'>, keys: ServiceImageKeys): RootfsSource {
  if (opts.rootfs && opts.image) throw new CtnrError('USAGE', '--rootfs and --image exclude each other');
  if (opts.rootfs) return { kind: 'directory', path: path.resolve(opts.rootfs), origin: '--rootfs' };
  if (opts.image) return { kind: 'image', layout: path.resolve(opts.image), origin: '--image' };
  const imageName = serviceImageName(project.compose.name, service, keys);
  const images = project.config.config.images ?? {};
  const mapping = imageName !== undefined ? images[imageName] : undefined;
  const base = project.config.file ? path.dirname(project.config.file) : project.compose.dir;
  if (mapping && (mapping.rootfs || mapping.layout)) {
    return {
      kind: 'config',
      ...(mapping.rootfs ? { path: path.resolve(base, mapping.rootfs) } : {}),
      ...(mapping.layout ? { layout: path.resolve(base, mapping.layout) } : {}),
      ...(mapping.config ? { configFile: path.resolve(base, mapping.config) } : {}),
      origin: `${project.config.label} images["${imageName}"]`,
    };
  }
  if (imageName !== undefined) return { kind: 'store', image: imageName };
  throw new CtnrError('USAGE', `service "${service}" has no image: and needs a root filesystem: pass --rootfs DIR or --image LAYOUT`);
}

function checkRootfsDir(dir: string, origin: string): void {
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new CtnrError('USAGE', `${origin}: ${dir} is not a directory`);
}

/** The project with `service`'s raw `command` replaced (the loader normalises it like one from the file). */
function withCommand(project: LoadedProject, service: string, command: readonly string[] | undefined): LoadedProject {
  if (!command || command.length === 0) return project;
  const raw = project.compose.services[service]!;
  return { ...project, compose: { ...project.compose, services: { ...project.compose.services, [service]: { ...raw, command: [...command] } } } };
}

function fileBytes(file: string | undefined): Buffer | undefined {
  return file && existsSync(file) ? readFileSync(file) : undefined;
}

/**
 * Compose service → bundle directory: pick the root filesystem, run the pipeline, refuse policy violations,
 * write config.json, the plugins' bundle files and ctnr.json atomically (see BundleStaging).
 */
export async function createBundle(project: LoadedProject, service: string, opts: CreateBundleOptions = {}): Promise<CreatedBundle> {
  if (project.compose.services[service] === undefined) {
    const names = Object.keys(project.compose.services);
    throw new CtnrError('SERVICE_NOT_FOUND', `no service "${service}" in ${project.compose.displayFile} (services: ${names.join(', ') || 'none'})`);
  }
  // The service after extends and interpolation: an `image:` or `build:` it inherits counts.
  const selected = selectService(project.compose, service).input;
  const keys = selected.service as ServiceImageKeys;
  const source = rootfsSource(project, service, opts, keys);
  const dir = path.resolve(opts.dir ?? defaultBundleDir(project, service));
  // The data dir's bundles directory is private (config.json holds the container's environment).
  const ownBundles = bundlesDir(path.resolve(project.env.dataDir));
  if (path.dirname(dir) === ownBundles) ensurePrivateDir(ownBundles);
  const staging = new BundleStaging(dir, opts.force);
  const warnings: string[] = [];
  // Rootless: image owners land on the user's subordinate ids, as the rootless stage maps them in the container.
  if (!opts.idMapping && project.env.rootless && process.getuid?.() !== 0) {
    const { currentUserIdMapping } = await import('../image/idmap.js');
    opts = { ...opts, idMapping: currentUserIdMapping() };
  }
  try {
    let rootfsForPipeline: string;
    let rootPath: string;
    let layout: LayoutImage | undefined;
    let image: ImageConfig | undefined;
    const layoutDir = source.kind === 'image' ? source.layout : source.kind === 'config' && !source.path ? source.layout : undefined;
    let stored: StoredImage | undefined;
    let overlayLower: string | undefined;
    if (source.kind === 'store') {
      // The image from the store (pulled per its pull policy), unpacked once into the store's rootfs cache. As
      // root the bundle's rootfs is an overlay over that cache (mounted once the bundle is in place); otherwise
      // a copy. Either way the container's changes never reach the cache.
      const { imageForService, rootfsForImage } = await import('../image/for-service.js');
      opts.progress?.(`getting image ${source.image}`);
      stored = await imageForService(imageSettings(project), service, { ...keys, image: source.image }, true).catch((err: unknown) => {
        throw locatedAt(err, service, selected.source);
      });
      opts.progress?.(`unpacking ${stored.layers.length} layer(s)`);
      const cache = await rootfsForImage(imageSettings(project), stored, opts.idMapping, (w) => warnings.push(w.message));
      rootPath = 'rootfs';
      image = stored.config;
      if (!project.env.rootless && overlaySupported()) {
        overlayLower = cache;
        rootfsForPipeline = cache; // read only: user and group names resolve against it
        mkdirSync(path.join(staging.tmp, 'rootfs'), { mode: 0o755 });
      } else {
        opts.progress?.('copying the root filesystem');
        rootfsForPipeline = path.join(staging.tmp, 'rootfs');
        await copyRootfs(cache, rootfsForPipeline, opts.idMapping);
      }
    } else if (source.kind === 'directory' || (source.kind === 'config' && source.path)) {
      const dirPath = source.kind === 'directory' ? source.path : source.path!;
      checkRootfsDir(dirPath, source.origin);
      rootfsForPipeline = rootPath = dirPath;
    } else {
      const imageName = typeof keys.image === 'string' ? keys.image : undefined;
      opts.progress?.('reading image layout');
      layout = readLayout(layoutDir!, imageName, servicePlatform(project, keys));
      opts.progress?.(`unpacking ${layout.layers.length} layer(s)`);
      rootfsForPipeline = path.join(staging.tmp, 'rootfs');
      for (const w of await unpackLayers(layout, rootfsForPipeline, opts.idMapping ? { idMapping: opts.idMapping } : {})) warnings.push(w.message);
      // Relative: runtimes resolve root.path against the bundle directory, which is renamed into place.
      rootPath = 'rootfs';
      image = layout.config;
    }
    if (source.kind === 'config' && source.configFile) image = readImageConfigFile(source.configFile);
    if (source.kind === 'config' && source.path && source.layout && !image) image = readLayout(source.layout, undefined, servicePlatform(project, keys)).config;
    // --image-config wins over the config that comes with the root filesystem (a store image, a layout, the
    // config's mapping), as it does for `spec`: the bundle runs what `spec` printed.
    const given = project.imageSources?.imageConfig;
    if (given) image = readImageConfigFile(path.resolve(project.imageSources?.cwd ?? process.cwd(), given));

    opts.progress?.('generating config.json');
    const run = await runService({ ...withCommand(project, service, opts.command), env: { ...project.env, rootfs: rootfsForPipeline } }, service, image, {
      unpackImageMounts: true,
      ...(opts.idMapping ? { idMapping: opts.idMapping } : {}),
    });
    // Policy modes and exemptions (src/policy): enforce refuses the bundle, warn joins the diagnostics, audit is silent.
    const policy = servicePolicy(project, run.result);
    if (policy.error) throw policy.error;
    run.diagnostics.push(...policy.warnings);
    for (const message of warnings) run.diagnostics.push({ level: 'warning', code: 'IMAGE_UNPACK', message });
    const spec = run.result.spec;
    // The bundle writer owns root.path: where the root filesystem lives is decided here, not by a plugin.
    spec.root = { ...spec.root, path: rootPath };

    const composeBytes = readFileSync(project.compose.file);
    // The images `type: image` volumes bind: `ctnr image prune` keeps their unpacked files while this bundle exists.
    const imageMounts = run.imageMounts.length > 0 ? run.imageMounts.map((m) => ({ source: m.source, path: m.path, ...(m.image ? { manifest: m.image.manifest } : {}) })) : undefined;
    const service0 = run.input.service as { stop_grace_period?: number };
    const rootfsMeta: BundleMetadata['rootfs'] = stored
      ? { kind: 'store', reference: stored.reference ?? source.kind, manifest: stored.manifestDigest }
      : layout
        ? { kind: 'image', layout: layout.layout, manifest: layout.manifest }
        : { kind: 'directory', path: rootPath };
    const metadata = newMetadata({
      service,
      project: project.compose.name,
      composeFile: project.compose.file,
      ...(project.config.file ? { configFile: project.config.file } : {}),
      inputDigest: inputDigest({
        composeBytes,
        service,
        ...(fileBytes(project.config.file) ? { configBytes: fileBytes(project.config.file)! } : {}),
        options: { rootless: project.env.rootless, rootfs: rootfsMeta, ...(opts.command ? { command: opts.command } : {}), ...(imageMounts ? { imageMounts } : {}) },
      }),
      serviceHash: serviceHashOf(project, service, opts, selected),
      rootless: project.env.rootless,
      rootfs: rootfsMeta,
      ...(imageMounts ? { imageMounts } : {}),
      ...(typeof service0.stop_grace_period === 'number' ? { stopGracePeriodNs: service0.stop_grace_period } : {}),
    });
    opts.progress?.('writing bundle');
    staging.commit({ spec, files: run.result.files, hostDirs: run.result.hostDirs.map((d) => d.path), metadata, dataDir: project.env.dataDir });
    if (overlayLower && !mountOverlayRootfs(dir, overlayLower)) {
      // The kernel refused the overlay here (e.g. the data dir is itself on overlayfs): copy instead.
      opts.progress?.('copying the root filesystem');
      rmdirSync(path.join(dir, 'rootfs'));
      await copyRootfs(overlayLower, path.join(dir, 'rootfs'));
    }
    await fillVolumes(dir, spec, run, project.env.dataDir, rootfsForPipeline, staging.tmp, opts);
    return { dir, spec, metadata, run };
  } catch (err) {
    staging.abort();
    throw err;
  }
}

/**
 * The bundle is in place: its empty volumes get the image's files at their mount points (./seed-volumes.ts). A
 * failure removes the bundle just made (a container must not start on an unfilled volume); volumes stay.
 */
async function fillVolumes(dir: string, spec: Spec, run: ServiceRun, dataDir: string, rootfs: string, staged: string, opts: CreateBundleOptions): Promise<void> {
  const seeds = volumeSeeds(spec, (run.input.service as { volumes?: [] }).volumes, dataDir);
  if (seeds.length === 0) return;
  // A rootfs unpacked or copied into the staging directory now lives in the bundle.
  const inBundle = path.relative(staged, rootfs);
  const from = inBundle === '' || (!inBundle.startsWith('..') && !path.isAbsolute(inBundle)) ? path.join(dir, inBundle) : rootfs;
  opts.progress?.('filling volumes from the image');
  try {
    await seedVolumes(seeds, { bundleDir: dir, rootfs: from, ...(opts.idMapping ? { idMapping: opts.idMapping } : {}) });
  } catch (err) {
    removeBundleTree(dir);
    throw err;
  }
}
