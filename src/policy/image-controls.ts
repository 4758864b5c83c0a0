import { CtnrError } from '../engine/errors.js';
import { parseReference } from '../image/reference.js';
import type { ImageReference } from '../image/types.js';
import type { Control, ControlInput, Finding } from './controls.js';
import { globMatch } from './subject.js';

/**
 * Image provenance: where a container's image comes from and how firmly it is named — what Kyverno's
 * restrict-image-registries, disallow-latest-tag and require-image-digest and Gatekeeper's allowed-repos rules
 * check in a cluster. Not part of the Pod Security Standards: the `images` preset (presets/images.ts) carries them.
 *
 * The image is the compose service's `image:`, or in spec mode (ctnr-runtime) the one the CRI names in the spec's
 * annotations (containerd's `io.kubernetes.cri.image-name`, CRI-O's `io.kubernetes.cri-o.ImageName`), else podman's
 * record of the container (src/runtime-shim/podman-image.ts); `ctr` names none, and a container whose image is not
 * known is not judged. A service built from `build:` is not judged either: its image is made here, from base images
 * its builder pulls.
 */

/** The reference a control judges, normalised as docker does (`nginx` → docker.io/library/nginx:latest), with where it was read. */
interface Judged {
  written: string;
  ref: ImageReference | undefined;
  /** Where the reference is: the service (`''`) or the spec's annotation. */
  pointer: string;
}

const CRI_IMAGE_ANNOTATIONS = ['io.kubernetes.cri.image-name', 'io.kubernetes.cri-o.ImageName'];

function imageOf({ service, env, spec }: ControlInput): Judged | undefined {
  if (env.container !== undefined) {
    const key = CRI_IMAGE_ANNOTATIONS.find((k) => typeof spec.annotations?.[k] === 'string' && spec.annotations[k] !== '');
    if (key !== undefined) return judged(spec.annotations![key]!, `/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    // podman's record of the container (no field of the spec says it).
    return env.container.image !== undefined ? judged(env.container.image, '') : undefined;
  }
  if (typeof service.image !== 'string' || service.build !== undefined) return undefined;
  return judged(service.image, '');
}

function judged(written: string, pointer: string): Judged {
  try {
    return { written, ref: parseReference(written), pointer };
  } catch (err) {
    if (err instanceof CtnrError) return { written, ref: undefined, pointer };
    throw err;
  }
}

/** A finding for a reference that does not parse: every image control reports it (nothing else can be judged). */
function unreadable(image: Judged): Finding[] {
  return [{ pointer: image.pointer, message: `image "${image.written}" is not a valid image reference` }];
}

export const IMAGE_CONTROLS: readonly Control[] = [
  {
    id: 'imageRegistries',
    level: 'images',
    pss: '(not PSS; Kyverno restrict-image-registries, Gatekeeper allowed-repos) — with `allowedImages`',
    checks: 'the image is a repository `allowedImages` names (`registry/repository` globs, on the reference as docker normalises it: `nginx` is `docker.io/library/nginx`).',
    check(input) {
      const allowed = input.options.allowedImages;
      const image = imageOf(input);
      if (allowed === undefined || image === undefined) return [];
      if (!image.ref) return unreadable(image);
      const name = `${image.ref.registry}/${image.ref.repository}`;
      if (allowed.some((pattern) => globMatch(pattern, name))) return [];
      return [{ pointer: image.pointer, message: `image ${image.written} (${name}) is not from an allowed place (allowedImages: ${allowed.join(', ')})` }];
    },
  },
  {
    id: 'imageTag',
    level: 'images',
    pss: '(not PSS; Kyverno disallow-latest-tag)',
    checks: 'the image names a tag other than `latest`, or a digest (no tag at all means `latest`).',
    check(input) {
      const image = imageOf(input);
      if (image === undefined) return [];
      if (!image.ref) return unreadable(image);
      if (image.ref.digest !== undefined || image.ref.tag !== 'latest') return [];
      const how = image.written.endsWith(':latest') ? 'names the tag latest' : 'names no tag (so latest)';
      return [{ pointer: image.pointer, message: `image ${image.written} ${how}: name a version, or pin a digest` }];
    },
  },
  {
    id: 'imageDigest',
    level: 'images',
    pss: '(not PSS; Kyverno require-image-digest, Gatekeeper image-digests) — with `requireDigest`',
    checks: 'the image is pinned by digest (`name@sha256:…`): what runs is the image that was reviewed, whatever a tag is moved to.',
    check(input) {
      const image = input.options.requireDigest === true ? imageOf(input) : undefined;
      if (image === undefined) return [];
      if (!image.ref) return unreadable(image);
      if (image.ref.digest !== undefined) return [];
      return [{ pointer: image.pointer, message: `image ${image.written} is not pinned by digest (name@sha256:…)` }];
    },
  },
];

export const IMAGE_CONTROL_IDS: readonly string[] = IMAGE_CONTROLS.map((c) => c.id);

/** The validator that carries these controls (plugins/policy/images.ts). */
export const IMAGES_VALIDATOR = 'ctnr:policy-images';
