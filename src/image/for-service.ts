import { CtnrError } from '../errors.js';
import type { Diagnostic } from '../types.js';
import { obtainImage, type ImageAccess } from './obtain.js';
import { parsePlatform } from './platform.js';
import { parsePullPolicy } from './policy.js';
import { imageRootfs } from './rootfs.js';
import { ImageStore, type StoredImage } from './store.js';
import type { IdMapping, ImageWarning, PullProgress, RegistriesConfig } from './types.js';

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
}

export interface ServiceImageKeys {
  image?: unknown;
  pull_policy?: unknown;
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

/** The stored (or pulled) image of a service's `image:`; `layers` when a root filesystem will be needed. */
export async function imageForService(settings: ProjectImageSettings, service: string, keys: ServiceImageKeys, layers: boolean): Promise<StoredImage> {
  if (typeof keys.image !== 'string' || keys.image === '') {
    throw new CtnrError('USAGE', `service "${service}" has no image: to run from (pass --rootfs DIR or --image LAYOUT)`);
  }
  const policy = typeof keys.pull_policy === 'string' ? keys.pull_policy : settings.defaultPullPolicy;
  return obtainImage(access(settings), {
    image: keys.image,
    ...(policy !== undefined ? { pullPolicy: policy } : {}),
    ...(typeof keys.platform === 'string' ? { platform: keys.platform } : {}),
    where: `services.${service}.image`,
    layers,
  });
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
