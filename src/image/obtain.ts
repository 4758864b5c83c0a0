import { CtnrError } from '../engine/errors.js';
import { parsePlatform, hostPlatform } from './platform.js';
import { isStale, type PullPolicy } from './policy.js';
import { platformKey, pullImage, samePlatform } from './pull.js';
import { parseReference, referenceString } from './reference.js';
import type { ImageStore, StoredImage } from './store.js';
import type { Platform, PullProgress, RegistriesConfig } from './types.js';

/** What a command knows about getting images: the store, registry settings, and the user's overrides. */
export interface ImageAccess {
  store: ImageStore;
  registries?: RegistriesConfig;
  /** `--pull` (wins over the service's `pull_policy`). */
  pullPolicy?: PullPolicy;
  /** `--platform` (wins over the service's `platform:`). */
  platform?: Platform;
  onProgress?: (e: PullProgress) => void;
  /** Clock for age-based policies (tests). */
  now?: () => number;
  /** Called just before the registry is contacted; throws to refuse the pull (the `images` policy: src/policy/pull-gate.ts). */
  beforePull?: () => void | Promise<void>;
}

export interface ObtainRequest {
  /** The service's `image:`. */
  image: string;
  /** The service's pull policy (`pull_policy`, with `pull_refresh_after`), where it has one. */
  pullPolicy?: PullPolicy;
  platform?: string;
  /** Where `image:` is, for located errors (`services.web.image`). */
  where: string;
  /** A bundle needs every layer; a spec needs only the manifest and config. */
  layers: boolean;
}

/**
 * The image a service runs from, honouring its pull policy: from the store when it is there (and fresh
 * enough), else pulled. `never` with nothing stored is an error that says how to get it.
 */
export async function obtainImage(access: ImageAccess, req: ObtainRequest): Promise<StoredImage> {
  let ref;
  try {
    ref = parseReference(req.image);
  } catch (err) {
    if (err instanceof CtnrError) err.path ??= req.where;
    throw err;
  }
  const name = referenceString(ref);
  const policy = access.pullPolicy ?? req.pullPolicy ?? { kind: 'missing' as const };
  const platform = access.platform ?? (req.platform ? parsePlatform(req.platform) : hostPlatform());
  const stored = storedImage(access.store, name, ref.digest, platform, req.layers);
  const now = access.now?.() ?? Date.now();
  if (policy.kind === 'never') {
    if (stored.image) return stored.image;
    const why = stored.partial
      ? 'its layers are not in the store'
      : stored.otherPlatform
        ? `only its ${stored.otherPlatform} image is in the store, not ${platformKey(platform)}`
        : 'it is not in the store';
    throw new CtnrError('IMAGE_NOT_FOUND', `image ${name} is needed but ${why} and the pull policy is "never" (run: ctnr pull ${req.image})`, { path: req.where });
  }
  if (stored.image && !isStale(policy, stored.pulled, now)) return stored.image;
  try {
    await access.beforePull?.();
    return await pullImage(access.store, ref, {
      ...(access.registries ? { registries: access.registries } : {}),
      ...(access.onProgress ? { onProgress: access.onProgress } : {}),
      platform,
      layers: req.layers,
    });
  } catch (err) {
    if (err instanceof CtnrError) err.path ??= req.where;
    throw err;
  }
}

/** A usable stored copy of `name` for `platform` (with every layer when `layers`), else what is missing. */
function storedImage(store: ImageStore, name: string, digest: string | undefined, platform: Platform, layers: boolean): { image?: StoredImage; pulled?: string; partial?: boolean; otherPlatform?: string } {
  const rec = store.readRefs()[name];
  if (rec && !samePlatform(rec.platform, platform)) return { otherPlatform: rec.platform };
  const manifest = rec?.manifest;
  if (!manifest || !store.hasBlob(manifest)) return {};
  if (digest && rec!.index !== digest && manifest !== digest) return {};
  const image = store.openImage(manifest, name);
  if (layers && !image.layers.every((l) => store.hasBlob(l.digest))) return { partial: true, pulled: rec!.pulled };
  return { image, pulled: rec!.pulled };
}
