import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { definePlugin } from '../../src/engine/define.js';
import { cleanDestination, mergeMountOptions, octal, placeMount, TMPFS_DEFAULT_OPTIONS } from '../../src/spec/mounts.js';
import type { VolumeMount } from '../../src/engine/service.js';
import type { Mount } from '../../src/spec/types.js';
import type { BundleFile, Env, Operation, PluginContext, Project } from '../../src/engine/types.js';
import { volumesRoot } from '../../src/linux/data-dir.js';
import { subpathSource } from '../../src/linux/subpath.js';
import { isDirectory } from '../../src/linux/file-kind.js';

/** Docker's volume-name rule; it also keeps a name from walking out of `<dataDir>/volumes`. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Where anonymous volumes live inside the bundle (runc resolves relative bind sources against it). */
export const ANONYMOUS_VOLUME_DIR = 'volumes';

/** Directory of a named volume on the host: `<dataDir>/volumes/<name>`, shared by every service of a project. */
export function namedVolumeDir(env: Pick<Env, 'dataDir'>, name: string): string {
  // A valid volume name is one clean path segment: joining it to the (normalised) root needs no normalising.
  const root = volumesRoot(env.dataDir);
  return VOLUME_NAME.test(name) ? `${root}/${name}` : path.join(root, name);
}

/** `/var/lib/mysql` → `volumes/anon-var-lib-mysql-1a2b3c4d`: readable, and unique per target. */
export function anonymousVolumePath(target: string): string {
  const slug = target.split('/').filter(Boolean).join('-').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 48) || 'root';
  const hash = createHash('sha256').update(target).digest('hex').slice(0, 8);
  return `${ANONYMOUS_VOLUME_DIR}/anon-${slug}-${hash}`;
}

export interface TopLevelVolume {
  name?: unknown;
  external?: unknown;
  driver?: unknown;
  driver_opts?: unknown;
}

type Where = Array<string | number>;
type Ctx = PluginContext<unknown>;

/**
 * Compose `volumes:` (long form from the loader) → mounts.
 *
 * - `bind`: `rbind` (`bind` when `bind.recursive: disabled`), propagation (default `rprivate`), `ro`
 *   (`rro` too with `bind.recursive: readonly`). The source must exist unless `bind.create_host_path`
 *   (the loader sets it for short syntax, as compose does): the error comes before anything is written.
 * - named `volume`: a directory per volume under `<dataDir>/volumes/` named as compose names volumes
 *   (`<project>_<key>`, or the top-level `name:`; `external` volumes use their name as is and must exist), so
 *   every service of the project shares it and it outlives bundles. A local-driver bind
 *   (`driver_opts: {type: none, o: bind, device: PATH}`) mounts PATH instead.
 * - anonymous `volume`: a directory inside the bundle, declared as a bundle file, mounted by a
 *   bundle-relative source.
 * - `tmpfs`: a real tmpfs (`size`, `mode`), docker's `noexec,nosuid,nodev` defaults.
 * - `image`: the files of another image, read-only as docker mounts them (`image.subpath`: a directory or file in
 *   it): a bind of the image's unpacked root filesystem, which the caller supplies in `env.imageMounts` (ctnr's
 *   commands take it from the image store: src/image/mounts.ts).
 * A `subpath` (of a volume or an image) may not pass through a symbolic link (src/linux/subpath.ts).
 *
 * Rules for the bundle writer (documented here because this plugin relies on them, never on spec sniffing
 * beyond them): every `bind` mount whose source lies under `<dataDir>/volumes/` is created (`mkdir -p`, 0755)
 * if missing, and so is any other absolute bind source missing at bundle time — generation already refused
 * missing sources that did not ask to be created.
 *
 * Destinations must be absolute and unique across `volumes:` and `tmpfs:`; a user mount on a destination the
 * engine mounts (`/dev/shm`, …) replaces it. Read-only roots do not change user mounts (docker).
 */
export function volumesPlugin() {
  return definePlugin({
    name: 'ctnr:volumes',
    stage: 'mounts',
    after: ['ctnr:tmpfs'],
    apply(ctx) {
      const { service, spec, error } = ctx;
      const list = (service.volumes ?? []) as VolumeMount[];
      if (list.length === 0) return [];
      const tmpfsTargets = new Map<string, number>();
      (service.tmpfs ?? []).forEach((t, i) => tmpfsTargets.set(cleanDestination(t.target), i));
      const seen = new Map<string, number>();
      const mounts: Mount[] = [];
      const files: BundleFile[] = [];
      const hostDirs: string[] = [];
      list.forEach((v, i) => {
        const where: Where = ['volumes', i];
        if (typeof v.target !== 'string' || !v.target.startsWith('/')) {
          error(`target "${v.target}" must be an absolute path in the container`, [...where, 'target']);
          return;
        }
        const dest = cleanDestination(v.target);
        if (seen.has(dest)) {
          error(`duplicate mount point ${dest} (also volumes[${seen.get(dest)}])`, where);
          return;
        }
        if (tmpfsTargets.has(dest)) {
          error(`duplicate mount point ${dest} (also tmpfs[${tmpfsTargets.get(dest)}])`, where);
          return;
        }
        seen.set(dest, i);
        const mount = toMount(ctx, v, dest, where, files, hostDirs);
        if (mount) mounts.push(mount);
      });
      const out: Operation[] = spec.mounts === undefined ? [{ op: 'add', path: '/mounts', value: [] }] : [];
      for (const m of mounts) out.push(placeMount(spec.mounts, m));
      return { ops: out, files, hostDirs };
    },
  });
}

function toMount(ctx: Ctx, v: VolumeMount, dest: string, where: Where, files: BundleFile[], hostDirs: string[]): Mount | undefined {
  const { error, warn } = ctx;
  const selinux = v.bind?.selinux ?? v.selinux;
  if (selinux) warn(`SELinux relabelling (:${selinux}) is not applied: ctnr does not relabel host files`, where);
  switch (v.type) {
    case 'bind': {
      // An absolute source (what the loader makes of relative ones) only needs normalising, which
      // cleanDestination does as path.resolve would, and remembers for the next service.
      const source = v.source?.startsWith('/') ? cleanDestination(v.source) : path.resolve(ctx.source.dir, v.source ?? '');
      if (v.bind?.create_host_path === true) {
        // Like docker: the bundle writer creates the directory if it is missing when the bundle is written
        // (it checks then; a stat here would be stale by then anyway). Generating the spec writes nothing.
        hostDirs.push(source);
      } else if (!existsSync(source)) {
        error(`bind source ${source} does not exist (create it, or set bind.create_host_path: true)`, [...where, 'source']);
        return undefined;
      }
      return bindMount(ctx, source, dest, v, where);
    }
    case 'volume': {
      if (v.source === undefined || v.source === '') {
        const rel = anonymousVolumePath(dest);
        files.push({ path: rel, kind: 'directory', mode: 0o755 });
        return { destination: dest, type: 'bind', source: rel, options: volumeOptions(v) };
      }
      const source = namedVolumeSource(ctx, v, where);
      return source === undefined ? undefined : { destination: dest, type: 'bind', source, options: volumeOptions(v) };
    }
    case 'tmpfs': {
      const extra: string[] = [];
      if (v.tmpfs?.size !== undefined) extra.push(`size=${v.tmpfs.size}`);
      if (v.tmpfs?.mode !== undefined) extra.push(`mode=${octal(v.tmpfs.mode)}`);
      if (v.read_only) extra.push('ro');
      return { destination: dest, type: 'tmpfs', source: 'tmpfs', options: mergeMountOptions(TMPFS_DEFAULT_OPTIONS, extra) };
    }
    case 'image':
      return imageMount(ctx, v, dest, where);
    case 'npipe':
      error('npipe mounts exist on Windows only', [...where, 'type']);
      return undefined;
    default:
      error(`${v.type} mounts are not supported`, [...where, 'type']);
      return undefined;
  }
}

function bindMount(ctx: Ctx, source: string, dest: string, v: VolumeMount, where: Where): Mount | undefined {
  const recursive = v.bind?.recursive ?? 'enabled';
  if (recursive === 'readonly' && !v.read_only) {
    ctx.error('bind.recursive: readonly needs read_only: true', [...where, 'bind', 'recursive']);
    return undefined;
  }
  const options = [recursive === 'disabled' ? 'bind' : 'rbind', v.bind?.propagation ?? 'rprivate'];
  if (v.read_only) options.push('ro');
  if (recursive === 'readonly') options.push('rro');
  return { destination: dest, type: 'bind', source, options };
}

/**
 * A `type: image` mount: a read-only bind of the image's root filesystem (or of `image.subpath` in it) from
 * `env.imageMounts`. Docker mounts images read-only and so does ctnr; `read_only: false` is said to change nothing.
 */
function imageMount(ctx: Ctx, v: VolumeMount, dest: string, where: Where): Mount | undefined {
  const image = v.source!;
  const root = ctx.env.imageMounts?.[image];
  if (root === undefined) {
    ctx.error(`image "${image}": no root filesystem was given for it (env.imageMounts; ctnr's commands take it from the image store)`, [...where, 'source']);
    return undefined;
  }
  if (v.read_only === false) ctx.warn('image mounts are read-only: read_only: false changes nothing', [...where, 'read_only']);
  let source = root;
  const sub = v.image?.subpath;
  if (sub !== undefined && sub !== '') {
    // Before the image is unpacked (`ctnr spec`) its files cannot be checked; bundles unpack it first.
    const found = subpathSource(root, sub, existsSync(root));
    if ('problem' in found) {
      ctx.error(`"${sub}": ${found.problem} image ${image}`, [...where, 'image', 'subpath']);
      return undefined;
    }
    source = found.path;
  }
  return { destination: dest, type: 'bind', source, options: ['rbind', 'rprivate', 'ro'] };
}

function volumeOptions(v: VolumeMount): string[] {
  return v.read_only ? ['rbind', 'rprivate', 'ro'] : ['rbind', 'rprivate'];
}

/** A named volume's host directory, following the top-level `volumes:` entry. */
function namedVolumeSource(ctx: Ctx, v: VolumeMount, where: Where): string | undefined {
  const { error, project, env } = ctx;
  const key = v.source!;
  const table = project.volumes as Project['volumes'];
  if (!Object.hasOwn(table, key)) {
    error(`volume "${key}" is not declared in the top-level "volumes:" table`, [...where, 'source']);
    return undefined;
  }
  const entry = (table[key] ?? {}) as TopLevelVolume;
  if (typeof entry !== 'object') {
    error(`top-level volume "${key}" must be a mapping`, [...where, 'source']);
    return undefined;
  }
  const { name, external } = volumeIdentity(project.name, key, entry);
  if (!VOLUME_NAME.test(name)) {
    error(`volume name "${name}" is not valid (letters, digits, "_", "." and "-", starting with a letter or digit)`, [...where, 'source']);
    return undefined;
  }
  if (entry.driver !== undefined && entry.driver !== null && entry.driver !== 'local') {
    error(`volume "${key}" uses driver "${String(entry.driver)}"; only the local driver is supported`, [...where, 'source']);
    return undefined;
  }
  let dir: string;
  const opts = entry.driver_opts as Record<string, unknown> | undefined;
  if (opts && Object.keys(opts).length > 0) {
    // The local driver's bind form: `type: none, o: bind, device: PATH`.
    const o = String(opts.o ?? '').split(',');
    if (String(opts.type ?? 'none') !== 'none' || !o.includes('bind') || typeof opts.device !== 'string' || !opts.device.startsWith('/')) {
      error(`volume "${key}": only the local bind form of driver_opts is supported (type: none, o: bind, device: /absolute/path)`, [...where, 'source']);
      return undefined;
    }
    dir = opts.device;
    if (!existsSync(dir)) {
      error(`volume "${key}": device ${dir} does not exist`, [...where, 'source']);
      return undefined;
    }
  } else {
    dir = namedVolumeDir(env, name);
    if (external && !isDirectory(dir)) {
      error(`external volume "${name}" not found (expected the directory ${dir})`, [...where, 'source']);
      return undefined;
    }
  }
  const sub = v.volume?.subpath;
  if (sub !== undefined && sub !== '') {
    // What does not exist yet the bundle writer creates (mkdir -p), as for the volume itself.
    const found = subpathSource(dir, sub, false);
    if ('problem' in found) {
      error(`"${sub}": ${found.problem} the volume`, [...where, 'volume', 'subpath']);
      return undefined;
    }
    dir = found.path;
  }
  return dir;
}

/**
 * A top-level volume's name on the host, as compose names it: its `name:` (or `external.name`), else `<project>_<key>`
 * (an external one: its key); `external`: made by someone else, never created or removed by ctnr; `device`: the host
 * directory of a local-driver bind (`driver_opts.device`), the user's own.
 */
export function volumeIdentity(projectName: string, key: string, entry: TopLevelVolume): { name: string; external: boolean; device?: string } {
  const external = entry.external === true || (typeof entry.external === 'object' && entry.external !== null);
  const externalName = typeof entry.external === 'object' && entry.external !== null ? (entry.external as { name?: unknown }).name : undefined;
  const given = typeof entry.name === 'string' && entry.name !== '' ? entry.name : typeof externalName === 'string' ? externalName : undefined;
  const device = (entry.driver_opts as { device?: unknown } | undefined)?.device;
  return { name: given ?? (external ? key : `${projectName}_${key}`), external, ...(typeof device === 'string' ? { device } : {}) };
}

/** A volume name is one path segment: letters, digits, `_`, `.`, `-`, starting with a letter or digit. */
export function isVolumeName(name: string): boolean {
  return VOLUME_NAME.test(name);
}

