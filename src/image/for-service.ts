import { CtnrError } from '../engine/errors.js';
import type { Diagnostic } from '../engine/types.js';
import { obtainImage, type ImageAccess } from './obtain.js';
import { parsePlatform } from './platform.js';
import { parsePullPolicy, servicePullPolicy, type PullPolicy } from './policy.js';
import { imageRootfs } from './rootfs.js';
import { identityRoot } from './identity.js';
import { fetchBlobs } from './pull.js';
import { ImageStore, type StoredImage } from './store.js';
import type { Descriptor, IdMapping, ImageWarning, PullProgress, RegistriesConfig } from './types.js';

/** What a project knows about getting its services' images (from the config and the command line). */
export interface ProjectImageSettings {
  dataDir: string;
  registries?: RegistriesConfig;
  /** `--pull` */
  pull?: string;
  /** The config's `pullPolicy`: the default for services without `pull_policy`. */
  defaultPullPolicy?: string;
  /** `--platform` */
  platform?: string;
  onProgress?: (e: PullProgress) => void;
  /** Judges a service's image before it is pulled; throws to refuse (src/policy/pull-gate.ts). */
  beforePull?: (service: string, keys: ServiceImageKeys) => void | Promise<void>;
}

export interface ServiceImageKeys {
  image?: unknown;
  /** A service that builds its image never pulls it: it is built (src/image/build.ts) or it is an error. */
  build?: unknown;
  pull_policy?: unknown;
  pull_refresh_after?: unknown;
  platform?: unknown;
}

function access(settings: ProjectImageSettings): ImageAccess {
  return {
    store: new ImageStore(settings.dataDir),
    ...(settings.registries ? { registries: settings.registries } : {}),
    ...(settings.pull ? { pullPolicy: parsePullPolicy(settings.pull, '--pull') } : {}),
    ...(settings.platform ? { platform: parsePlatform(settings.platform) } : {}),
    ...(settings.onProgress ? { onProgress: settings.onProgress } : {}),
  };
}

/**
 * The stored (or pulled) image of a service's `image:`; `layers` when a root filesystem will be needed. `where`:
 * the key errors name (default `services.NAME.image`; an image volume's own `source`).
 */
export async function imageForService(settings: ProjectImageSettings, service: string, keys: ServiceImageKeys, layers: boolean, where = `services.${service}.image`): Promise<StoredImage> {
  if (typeof keys.image !== 'string' || keys.image === '') {
    throw new CtnrError('USAGE', `service "${service}" has no image: to run from (pass --rootfs DIR or --image LAYOUT)`);
  }
  if (keys.build !== undefined && keys.build !== null) return builtImage(settings, service, keys.image, layers, where);
  const policy = policyOf(settings, service, keys);
  const gate = settings.beforePull;
  return obtainImage({ ...access(settings), ...(gate ? { beforePull: () => gate(service, keys) } : {}) }, {
    image: keys.image,
    ...(policy !== undefined ? { pullPolicy: policy } : {}),
    ...(typeof keys.platform === 'string' ? { platform: keys.platform } : {}),
    where,
    layers,
  });
}

/**
 * The image a service builds, from the store only (compose builds such an image rather than pulling it); one not
 * built yet is an error saying how to build it.
 */
async function builtImage(settings: ProjectImageSettings, service: string, image: string, layers: boolean, where: string): Promise<StoredImage> {
  try {
    return await obtainImage({ ...access(settings), pullPolicy: { kind: 'never' } }, { image, where, layers });
  } catch (err) {
    if (!(err instanceof CtnrError) || err.code !== 'IMAGE_NOT_FOUND') throw err;
    throw new CtnrError('IMAGE_NOT_FOUND', `image ${image} is built from the service's build: and is not built yet: run ctnr build ${service} (ctnr up, run and bundle create build what is missing)`, { path: `services.${service}.build` });
  }
}

/** The service's own pull policy, else the config's default (`--pull`, which wins over both, is in `access`). */
function policyOf(settings: ProjectImageSettings, service: string, keys: ServiceImageKeys): PullPolicy | undefined {
  return servicePullPolicy(service, keys) ?? (settings.defaultPullPolicy !== undefined ? parsePullPolicy(settings.defaultPullPolicy, 'pullPolicy') : undefined);
}

/**
 * A root holding just the image's /etc/passwd and /etc/group, for resolving user and group names in a spec: only
 * the layers that hold them are fetched (none with pull policy `never`: then they must be stored). Falls back to
 * the whole unpacked image where the files are links.
 */
export async function identityRootForImage(settings: ProjectImageSettings, service: string, keys: ServiceImageKeys, image: StoredImage): Promise<string> {
  const a = access(settings);
  const policy = a.pullPolicy ?? policyOf(settings, service, keys);
  const fetchLayer = async (layer: Descriptor) => {
    if (policy?.kind === 'never' || !image.reference) {
      throw new CtnrError('IMAGE_NOT_FOUND', `layer ${layer.digest} of ${image.reference ?? image.manifestDigest} is needed to resolve user names but is not in the store (run: ctnr pull ${String(keys.image)})`, { path: `services.${service}.image` });
    }
    await fetchBlobs(a.store, image.reference, image.manifestDigest, [layer], { ...(a.registries ? { registries: a.registries } : {}), ...(a.onProgress ? { onProgress: a.onProgress } : {}) });
  };
  const found = await identityRoot(a.store, image, fetchLayer);
  if (found.kind === 'root') return found.dir;
  return rootfsForImage(settings, await imageForService(settings, service, { ...keys, pull_policy: 'missing', pull_refresh_after: undefined }, true), undefined);
}

/** The cached root filesystem of a stored image (unpacked on first use). */
export async function rootfsForImage(settings: ProjectImageSettings, image: StoredImage, idMapping: IdMapping | undefined, onWarning?: (w: ImageWarning) => void): Promise<string> {
  return imageRootfs(new ImageStore(settings.dataDir), image, {
    ...(idMapping ? { idMapping } : {}),
    ...(settings.onProgress ? { onProgress: settings.onProgress } : {}),
    ...(onWarning ? { onWarning } : {}),
  });
}

/**
 * Generating a spec (spec, explain, check) while the registry cannot be reached — offline CI validating compose
 * files, say — goes on without the image's config, with a warning, when three things hold: the failure is the
 * registry's (unreachable, DNS, 5xx; not auth, a missing image or a bad digest), nobody asked for a pull policy,
 * and the service says what to run itself. Otherwise the error stands. Bundles never fall back: they need layers.
 */
export function offlineFallback(err: unknown, settings: ProjectImageSettings, service: string, keys: ServiceImageKeys & { command?: unknown; entrypoint?: unknown }): Diagnostic | undefined {
  if (!(err instanceof CtnrError) || err.code !== 'REGISTRY_FAILED') return undefined;
  if (settings.pull !== undefined || settings.defaultPullPolicy !== undefined || keys.pull_policy !== undefined) return undefined;
  const runs = (v: unknown) => Array.isArray(v) ? v.length > 0 : typeof v === 'string' && v !== '';
  if (!runs(keys.command) && !runs(keys.entrypoint)) return undefined;
  return {
    level: 'warning',
    code: 'IMAGE_UNAVAILABLE',
    path: 'image',
    message: `${err.message.replace(/^services\.[^:]+: /, '')}; generated without the image's config (its Env, User, WorkingDir, …): pull it first (ctnr pull), or name a local image source (--image-config, --image, --rootfs)`,
  };
}

/** Whether resolving `user` (`NAME`, `UID:GROUP`, …) needs the image's /etc/passwd or /etc/group. */
export function userNeedsRootfs(user: string | undefined): boolean {
  return user !== undefined && user !== '' && !/^\d+(:\d+)?$/.test(user.trim());
}
