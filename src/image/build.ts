import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError, type SourceLocation } from '../engine/errors.js';
import { parseBytes } from '../compose/units.js';
import { serviceImageName } from '../compose/image-name.js';
import { findOnPath } from '../runtime/select.js';
import { parseReference, referenceString } from './reference.js';
import { removeTree } from './rootfs.js';
import type { ImageStore, StoredImage } from './store.js';
import type { RegistriesConfig } from './types.js';
import { builderRegistriesConf } from './build-registries.js';

/**
 * Compose `build:`: ctnr builds no images itself; it hands the build to an image builder installed on the host
 * (podman, buildah or docker, in that order, or the one named by `CTNR_BUILDER` or the config's `builder`), has it
 * save the result as an archive and imports that into its own store (src/image/import.ts), under the service's
 * `image:` or, without one, `<project>-<service>` as docker compose names it. podman and buildah build in a storage
 * of ctnr's own (`<data-dir>/build`, their layer cache), so the user's own images are not touched; the base images
 * a Dockerfile names are pulled by the builder, with its own registry settings.
 */

export interface BuildRequest {
  service: string;
  /** The image the build is stored as (normalised: `docker.io/library/app-web:latest`). */
  image: string;
  context: string;
  /** Absolute path of the Dockerfile, when not the context's own `Dockerfile`. */
  dockerfile?: string;
  /** `dockerfile_inline`: the Dockerfile's text. */
  inline?: string;
  args: Array<[string, string]>;
  labels: Array<[string, string]>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  network?: string;
  extraHosts: string[];
  shmSize?: number;
}

/** Keys of `build:` ctnr passes to the builder. */
const SUPPORTED = new Set(['context', 'dockerfile', 'dockerfile_inline', 'args', 'labels', 'target', 'no_cache', 'pull', 'network', 'extra_hosts', 'shm_size']);
/** Keys that only steer a builder's cache: without them the image is the same. */
const CACHE_ONLY = new Set(['cache_from', 'cache_to']);

type Locate = (segs: ReadonlyArray<string | number>) => SourceLocation | undefined;

export interface BuildSource {
  project: string;
  service: string;
  /** The service after the loader (interpolated, extends resolved). */
  keys: { build?: unknown; image?: unknown };
  /** Where its compose file is (a relative context is relative to it). */
  dir: string;
  /** The compose variables: a list entry `KEY` of `args` takes its value from them, as compose does. */
  variables: Readonly<Record<string, string | undefined>>;
  locate?: Locate;
}

/** What `build:` asks for, checked (located errors); undefined when the service has no `build:`. Warnings go to `warn`. */
export function buildRequestOf(src: BuildSource, warn: (message: string) => void = () => {}): BuildRequest | undefined {
  const raw = src.keys.build;
  if (raw === undefined || raw === null) return undefined;
  const fail = (segs: Array<string | number>, message: string): never => {
    const at = ['services', src.service, 'build', ...segs];
    const location = src.locate?.(at.slice(2));
    throw new CtnrError('SERVICE_INVALID', message, { path: at, ...(location ? { location } : {}) });
  };
  const b: Record<string, unknown> = typeof raw === 'string' ? { context: raw } : typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : fail([], 'must be a context path or a mapping');
  for (const key of Object.keys(b)) {
    if (CACHE_ONLY.has(key)) warn(`services.${src.service}.build.${key}: not passed to the builder (it only steers a cache)`);
    else if (!SUPPORTED.has(key)) fail([key], `is not supported: ctnr passes ${[...SUPPORTED].join(', ')} to the image builder`);
  }
  const str = (key: string): string | undefined => {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v === '') fail([key], 'must be a non-empty string');
    return v as string;
  };
  const bool = (key: string): boolean => {
    const v = b[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') fail([key], 'must be true or false');
    return v as boolean;
  };
  const contextText = str('context') ?? '.';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(contextText) || contextText.startsWith('git@')) fail(['context'], `"${contextText}": remote build contexts are not supported (give a directory)`);
  const context = path.resolve(src.dir, contextText);
  if (!statSync(context, { throwIfNoEntry: false })?.isDirectory()) fail(['context'], `${context} is not a directory`);
  const dockerfileText = str('dockerfile');
  const inline = str('dockerfile_inline');
  if (dockerfileText !== undefined && inline !== undefined) fail(['dockerfile_inline'], 'dockerfile and dockerfile_inline exclude each other');
  const dockerfile = dockerfileText === undefined ? undefined : path.resolve(context, dockerfileText);
  if (dockerfile !== undefined && !statSync(dockerfile, { throwIfNoEntry: false })?.isFile()) fail(['dockerfile'], `${dockerfile} is not a file`);
  if (dockerfile === undefined && inline === undefined && !existsSync(path.join(context, 'Dockerfile')) && !existsSync(path.join(context, 'Containerfile'))) {
    fail(['context'], `${context} has no Dockerfile (name one with build.dockerfile)`);
  }
  const shm = b.shm_size;
  const image = serviceImageName(src.project, src.service, src.keys)!;
  let normalised: string;
  try {
    normalised = referenceString(parseReference(image));
  } catch (err) {
    return fail([], `the image it builds, "${image}", is not a valid reference (${(err as Error).message})`);
  }
  const out: BuildRequest = {
    service: src.service,
    image: normalised,
    context,
    args: pairs(b.args, ['args'], fail, (k) => src.variables[k]),
    labels: pairs(b.labels, ['labels'], fail, () => undefined),
    noCache: bool('no_cache'),
    pull: bool('pull'),
    extraHosts: hosts(b.extra_hosts, fail),
  };
  if (dockerfile !== undefined) out.dockerfile = dockerfile;
  if (inline !== undefined) out.inline = inline;
  const target = str('target');
  if (target !== undefined) out.target = target;
  const network = str('network');
  if (network !== undefined && !['default', 'host', 'none'].includes(network)) {
    fail(['network'], `"${network}": a build's RUN steps use the builder's default network, host or none`);
  }
  if (network !== undefined && network !== 'default') out.network = network;
  if (shm !== undefined && shm !== null) {
    try {
      out.shmSize = parseBytes(shm as string | number);
    } catch (err) {
      fail(['shm_size'], (err as Error).message);
    }
  }
  return out;
}

/** `args`/`labels`: a mapping, or a list of `KEY=VALUE` (a bare `KEY` takes `fromEnv(KEY)`, dropped when unset). */
function pairs(v: unknown, at: Array<string | number>, fail: (segs: Array<string | number>, m: string) => never, fromEnv: (k: string) => string | undefined): Array<[string, string]> {
  if (v === undefined || v === null) return [];
  const out: Array<[string, string]> = [];
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (typeof item !== 'string' || item === '') fail([...at, i], 'must be KEY=VALUE');
      const eq = (item as string).indexOf('=');
      if (eq === 0) fail([...at, i], 'must be KEY=VALUE');
      if (eq > 0) out.push([(item as string).slice(0, eq), (item as string).slice(eq + 1)]);
      else {
        const value = fromEnv(item as string);
        if (value !== undefined) out.push([item as string, value]);
      }
    });
    return out;
  }
  if (typeof v !== 'object') return fail(at, 'must be a mapping or a list of KEY=VALUE');
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === null || val === undefined) {
      const value = fromEnv(k);
      if (value !== undefined) out.push([k, value]);
    } else if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') out.push([k, String(val)]);
    else fail([...at, k], 'must be a string, a number or a boolean');
  }
  return out;
}

/** `extra_hosts`: `HOST:IP` / `HOST=IP` list entries or a mapping, as `--add-host HOST:IP`. */
function hosts(v: unknown, fail: (segs: Array<string | number>, m: string) => never): string[] {
  if (v === undefined || v === null) return [];
  const entries: Array<[string, string]> = Array.isArray(v)
    ? v.map((item, i) => {
        const m = typeof item === 'string' ? /^([^:=\s]+)[:=](\S+)$/.exec(item) : null;
        return m ? ([m[1]!, m[2]!] as [string, string]) : fail(['extra_hosts', i], 'must be HOST:IP');
      })
    : typeof v === 'object'
      ? Object.entries(v as Record<string, unknown>).map(([h, ip]) => (typeof ip === 'string' ? ([h, ip] as [string, string]) : fail(['extra_hosts', h], 'must be an address')))
      : fail(['extra_hosts'], 'must be a list of HOST:IP or a mapping');
  return entries.map(([h, ip]) => `${h}:${ip}`);
}

export interface Builder {
  name: 'podman' | 'buildah' | 'docker';
  path: string;
}

/** The builder: `choice` (a name or a path), else podman, buildah or docker, whichever is on PATH first in that order. */
export function findBuilder(choice: string | undefined): Builder {
  const known = ['podman', 'buildah', 'docker'] as const;
  if (choice !== undefined && choice !== '') {
    const base = path.basename(choice);
    const name = known.find((k) => base === k || base.startsWith(`${k}-`));
    if (!name) throw new CtnrError('USAGE', `builder "${choice}": ctnr drives podman, buildah or docker`);
    const found = choice.includes('/') ? path.resolve(choice) : findOnPath(choice);
    if (!found || !existsSync(found)) throw new CtnrError('USAGE', `builder "${choice}" not found${choice.includes('/') ? '' : ' on PATH'}`);
    return { name, path: found };
  }
  for (const name of known) {
    const found = findOnPath(name);
    if (found) return { name, path: found };
  }
  throw new CtnrError('USAGE', 'building an image needs podman, buildah or docker on PATH (apt-get install podman), or a stored image: ctnr image import / ctnr pull');
}

export interface BuildOptions {
  builder: Builder;
  /** `<data-dir>`: podman's and buildah's storage of ctnr's own is `<data-dir>/build`. */
  dataDir: string;
  /** Where builder run state goes (`<run-root>/build`). */
  runRoot: string;
  /** The OCI runtime RUN steps use (podman, buildah): the one ctnr would run containers with. */
  runtime?: string;
  /** podman's and buildah's CNI config directory for RUN steps on the default network (src/image/build-network.ts). */
  networkDir?: string;
  /** Force a rebuild of every layer (`--no-cache`), and pull base images again (`--pull`). */
  noCache?: boolean;
  pull?: boolean;
  /** The config's `registries`: podman and buildah pull base images through them (src/image/build-registries.ts). */
  registries?: RegistriesConfig;
  /** The builder's output, line by line (a CLI writes it to stderr). */
  output: (chunk: Buffer) => void;
}

/** The builder's command lines: build the image, then save it to `archive`. */
export function builderCommands(req: BuildRequest, opts: BuildOptions, dockerfile: string | undefined, archive: string): { build: string[]; save: string[] } {
  const { builder } = opts;
  const storage = builder.name === 'docker' ? [] : ['--root', path.join(opts.dataDir, 'build', 'storage'), '--runroot', path.join(opts.runRoot, 'build')];
  // The network config directory matters only to RUN steps on the default network.
  const networkDir = req.network === undefined ? opts.networkDir : undefined;
  const global = builder.name === 'podman'
    ? [
        ...storage,
        ...(opts.runtime ? ['--runtime', opts.runtime] : []),
        ...(existsSync('/run/systemd/system') ? [] : ['--cgroup-manager', 'cgroupfs']),
        ...(networkDir ? ['--network-config-dir', networkDir] : []),
      ]
    : storage;
  const flags: string[] = ['-t', req.image];
  if (dockerfile !== undefined) flags.push('-f', dockerfile);
  for (const [k, v] of req.args) flags.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of req.labels) flags.push('--label', `${k}=${v}`);
  if (req.target !== undefined) flags.push('--target', req.target);
  if (req.noCache || opts.noCache) flags.push('--no-cache');
  if (req.pull || opts.pull) flags.push(builder.name === 'docker' ? '--pull' : '--pull=always');
  if (req.network !== undefined) flags.push('--network', req.network);
  for (const h of req.extraHosts) flags.push('--add-host', h);
  if (req.shmSize !== undefined) flags.push('--shm-size', String(req.shmSize));
  if (builder.name === 'buildah' && opts.runtime) flags.push('--runtime', opts.runtime);
  if (builder.name === 'buildah' && networkDir) flags.push('--cni-config-dir', networkDir);
  const build = [...global, 'build', ...flags, req.context];
  const save = builder.name === 'docker'
    ? ['save', '-o', archive, req.image]
    : builder.name === 'podman'
      ? [...global, 'save', '--format', 'oci-archive', '-o', archive, req.image]
      : [...global, 'push', req.image, `oci-archive:${archive}:${req.image}`];
  return { build, save };
}

/**
 * Build `req` with the builder and import the result into `store`: the stored image. The builder's output goes to
 * `opts.output`; a failed build is an error naming the service and the builder's exit status.
 */
export async function buildImage(store: ImageStore, req: BuildRequest, opts: BuildOptions): Promise<StoredImage> {
  const tmp = store.scratchDir('build');
  try {
    let dockerfile = req.dockerfile;
    if (req.inline !== undefined) {
      dockerfile = path.join(tmp, 'Dockerfile');
      writeFileSync(dockerfile, req.inline);
    }
    const archive = path.join(tmp, 'image.tar');
    const { build, save } = builderCommands(req, opts, dockerfile, archive);
    const env = { ...process.env };
    if (opts.builder.name !== 'docker') {
      env.CONTAINERS_REGISTRIES_CONF = path.join(tmp, 'registries.conf');
      writeFileSync(env.CONTAINERS_REGISTRIES_CONF, builderRegistriesConf(opts.registries));
    }
    await runBuilder(opts.builder, build, env, opts.output, `building ${req.image} for service ${req.service}`);
    await runBuilder(opts.builder, save, env, opts.output, `saving ${req.image} from ${opts.builder.name}`);
    const { importArchive } = await import('./import.js');
    const imported = await importArchive(store, archive, { tag: req.image });
    const image = imported.find((i) => i.reference === req.image) ?? imported[0];
    if (!image) throw new CtnrError('IMAGE_INVALID', `${opts.builder.name} saved no image for ${req.image}`);
    return image;
  } finally {
    await removeTree(tmp);
  }
}

function runBuilder(builder: Builder, args: string[], env: NodeJS.ProcessEnv, output: (chunk: Buffer) => void, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(builder.path, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout.on('data', output);
    child.stderr.on('data', output);
    child.on('error', (err) => reject(new CtnrError('IMAGE_BUILD', `${what}: cannot run ${builder.path}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new CtnrError('IMAGE_BUILD', `${what}: ${builder.name} ${signal ? `was killed by ${signal}` : `ended with status ${code}`} (its output is above)`));
    });
  });
}
