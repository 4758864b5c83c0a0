import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ANONYMOUS_VOLUME_DIR } from '../../plugins/mounts/volumes.js';
import { CtnrError } from '../engine/errors.js';
import { copyRootfs, removeTree } from '../image/rootfs.js';
import type { IdMapping } from '../image/types.js';
import { hasSubordinateIds } from '../image/idmap.js';
import { runInUserNamespace } from '../image/unpack-userns.js';
import { volumesRoot } from '../linux/data-dir.js';
import { processAlive } from '../linux/pid.js';
import { resolveInRootfs } from '../linux/rootfs.js';
import { cleanDestination } from '../spec/mounts.js';
import type { Spec } from '../spec/types.js';
import { isRealDirectory } from '../linux/file-kind.js';

/**
 * A volume to fill from the image: `volume` is the mount's source (absolute for a named volume, bundle-relative
 * for an anonymous one), `destination` where the container sees it.
 */
export interface VolumeSeed {
  volume: string;
  destination: string;
}

interface ServiceVolume {
  type?: string;
  target?: unknown;
  volume?: { nocopy?: boolean };
}

/**
 * The volumes of a bundle that docker and podman fill with the image's files on first use: the service's named and
 * anonymous volumes (not with `volume.nocopy`) and the image's own `VOLUME`s, each mounted at the root of a volume
 * ctnr keeps (`<dataDir>/volumes/<name>` or the bundle's `volumes/anon-…`). Not a `volume.subpath` (a part of a
 * volume), a local-driver bind (`driver_opts.device`: a host directory, not ctnr's), `volumes_from` (the other
 * container's volume was filled when it was made), nor bind mounts and tmpfs (never, in docker either).
 */
export function volumeSeeds(spec: Spec, serviceVolumes: readonly ServiceVolume[] | undefined, dataDir: string): VolumeSeed[] {
  const root = volumesRoot(path.resolve(dataDir));
  // The service's own volume entries by destination: a named volume mounted elsewhere came through volumes_from.
  const own = new Set<string>();
  const noCopy = new Set<string>();
  for (const v of serviceVolumes ?? []) {
    if (v.type !== 'volume' || typeof v.target !== 'string') continue;
    own.add(cleanDestination(v.target));
    if (v.volume?.nocopy === true) noCopy.add(cleanDestination(v.target));
  }
  const seeds: VolumeSeed[] = [];
  for (const m of spec.mounts ?? []) {
    if (m.type !== 'bind' || typeof m.source !== 'string' || noCopy.has(cleanDestination(m.destination))) continue;
    const named = path.isAbsolute(m.source) && path.dirname(path.normalize(m.source)) === root && own.has(cleanDestination(m.destination));
    const anonymous = !path.isAbsolute(m.source) && path.posix.dirname(m.source) === ANONYMOUS_VOLUME_DIR && m.source.startsWith(`${ANONYMOUS_VOLUME_DIR}/anon-`);
    if (named || anonymous) seeds.push({ volume: m.source, destination: m.destination });
  }
  return seeds;
}

export interface SeedOptions {
  /** The bundle in place (anonymous volumes' sources are relative to it). */
  bundleDir: string;
  /** The image's files as the pipeline saw them (the rootfs, or the store's unpacked cache under an overlay). */
  rootfs: string;
  /** Rootless: the copy keeps the image's owners by running in a user namespace with this mapping. */
  idMapping?: IdMapping;
}

/**
 * Fill each empty volume with what the image holds at its destination, as docker does when a container is
 * created: contents, owners, modes, links and times, and the directory's own owner, mode and times. A volume that
 * holds anything is used as it is (so a volume is filled once, and one a user emptied is filled again when the
 * next container is made, as in docker); a destination that is not a directory in the image (missing, a file)
 * leaves the volume as it is. The copy is made beside the volume, then its entries are moved in: a failed copy
 * leaves the volume empty, and the volume's directory stays the one running containers have mounted (replacing it
 * would cut them off from it). A volume another container filled while the copy was made is kept as it is.
 * Returns the volumes filled.
 */
export async function seedVolumes(seeds: readonly VolumeSeed[], opts: SeedOptions): Promise<string[]> {
  const filled: string[] = [];
  for (const seed of seeds) {
    const volume = path.isAbsolute(seed.volume) ? seed.volume : path.join(opts.bundleDir, seed.volume);
    if (!isEmptyDirectory(volume)) continue;
    // Symlinks on the way are followed as the container would, never out of the image's root.
    const from = resolveInRootfs(opts.rootfs, seed.destination);
    if (!isRealDirectory(from)) continue;
    await removeDeadCopies(volume, opts.idMapping);
    const tmp = path.join(path.dirname(volume), `.${path.basename(volume)}.seed-${process.pid}-${++copies}`);
    const fail = (err: unknown): never => {
      throw new CtnrError('BUNDLE_FAILED', `cannot fill volume ${volume} with the image's ${seed.destination}: ${(err as Error).message}`, { cause: err });
    };
    await copyRootfs(from, tmp, opts.idMapping).catch(fail);
    try {
      if (await moveInto(tmp, volume, opts.idMapping).catch(fail)) filled.push(volume);
    } finally {
      await removeTree(tmp, opts.idMapping).catch(() => undefined);
    }
  }
  return filled;
}

/**
 * Moves the entries of `copy` into `volume` and gives `volume` the owner, mode and times of `copy`, unless
 * `volume` is no longer empty (false). As the copy's owners may be subordinate ids, rootless it runs in the user
 * namespace the copy was made in; as root, directly. A user without subordinate ids keeps the volume's owner.
 */
async function moveInto(copy: string, volume: string, idMapping: IdMapping | undefined): Promise<boolean> {
  const script = [
    'set -e',
    '[ -z "$(ls -A -- "$2")" ] || exit 3',
    'find "$1" -mindepth 1 -maxdepth 1 -exec mv -t "$2" -- {} +',
    'chown --reference="$1" -- "$2" 2>/dev/null || [ "$(id -u)" != 0 ]',
    'chmod --reference="$1" -- "$2"',
    'touch -r "$1" -- "$2"',
  ].join('\n');
  const argv = ['sh', '-c', script, 'ctnr-fill-volume', copy, volume];
  if (idMapping && process.getuid?.() !== 0 && hasSubordinateIds(idMapping)) {
    try {
      await runInUserNamespace(idMapping, argv);
      return true;
    } catch (err) {
      if (/exit 3\b/.test((err as Error).message)) return false;
      throw err;
    }
  }
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status === 3) return false;
  if (r.error || r.status !== 0) throw new Error(r.error ? r.error.message : r.stderr.trim().split('\n')[0] || `exit ${r.status}`);
  return true;
}

let copies = 0;

/** Copies beside `volume` that runs killed halfway left (`.<name>.seed-<pid>-<n>` of a process that is gone). */
async function removeDeadCopies(volume: string, idMapping: IdMapping | undefined): Promise<void> {
  const prefix = `.${path.basename(volume)}.seed-`;
  let names: string[];
  try {
    names = readdirSync(path.dirname(volume)).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-\d+$/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && !processAlive(pid)) await removeTree(path.join(path.dirname(volume), name), idMapping).catch(() => undefined);
  }
}

function isEmptyDirectory(dir: string): boolean {
  try {
    return lstatSync(dir).isDirectory() && readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

