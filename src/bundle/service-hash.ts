import { createHash } from 'node:crypto';
import type { ServiceInput } from '../engine/engine.js';
import { canonical } from './metadata.js';

/** Where a bundle's root filesystem is taken from, as chosen before anything is pulled or unpacked. */
export type RootfsSelector =
  | { kind: 'directory'; path: string; origin: string }
  | { kind: 'image'; layout: string; origin: string }
  | { kind: 'config'; path?: string; layout?: string; configFile?: string; origin: string }
  | { kind: 'store'; image: string };

const UNHASHED = ['build', 'pull_policy', 'pull_refresh_after', 'scale', 'depends_on', 'profiles', 'develop'];

export interface ServiceHashParts {
  /** The service as the pipeline gets it: after `extends`, interpolation, env and label files. */
  input: Pick<ServiceInput, 'name' | 'service' | 'project'>;
  /** The ctnr config file's bytes (presets, plugins, policy decide the container too). */
  configBytes?: Buffer;
  rootfs: RootfsSelector;
  /** `--image-config`'s bytes. */
  imageConfigBytes?: Buffer;
  rootless: boolean;
  /** `run`'s command in place of the service's. */
  command?: readonly string[];
}

/**
 * compose's config hash for ctnr: what a container of the service is made from, apart from the image's content
 * (compared by manifest digest, which the bundle records). `ctnr up` recreates a running container whose hash
 * differs: an edited service, its env file, a project-level volume or network it may use, the config, or another
 * root filesystem choice. Another service's change, a comment, a reordering of the file, the replica count,
 * `depends_on`, `build`, the pull policy and `profiles` change nothing (compose leaves those out as well).
 */
export function serviceHash(parts: ServiceHashParts): string {
  const sha = (b: Buffer | undefined) => (b === undefined ? undefined : createHash('sha256').update(b).digest('hex'));
  // What compose leaves out of its hash too: how many containers there are, how and when they get their image
  // (the image itself is compared by manifest), what starts before them, and which profiles select them.
  const service: Record<string, unknown> = { ...parts.input.service };
  for (const key of UNHASHED) delete service[key];
  if (service.deploy && typeof service.deploy === 'object') {
    const deploy: Record<string, unknown> = { ...service.deploy };
    delete deploy.replicas;
    service.deploy = deploy;
  }
  const { origin: _origin, ...rootfs } = parts.rootfs as RootfsSelector & { origin?: string };
  const text = canonical({
    v: 1,
    name: parts.input.name,
    service,
    project: parts.input.project,
    config: sha(parts.configBytes),
    rootfs,
    imageConfig: sha(parts.imageConfigBytes),
    rootless: parts.rootless,
    command: parts.command,
  });
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
