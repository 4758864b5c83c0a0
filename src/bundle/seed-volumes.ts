import { lstatSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { ANONYMOUS_VOLUME_DIR } from '../../plugins/mounts/volumes.js';
import { CtnrError } from '../engine/errors.js';
import { copyRootfs, removeTree } from '../image/rootfs.js';
import type { IdMapping } from '../image/types.js';
import { volumesRoot } from '../linux/data-dir.js';
import { processAlive } from '../linux/pid.js';
import { resolveInRootfs } from '../linux/rootfs.js';
import { cleanDestination } from '../spec/mounts.js';
import type { Spec } from '../spec/types.js';

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
  const noCopy = new Set<string>();
  for (const v of serviceVolumes ?? []) {
    if (v.type === 'volume' && v.volume?.nocopy === true && typeof v.target === 'string') noCopy.add(cleanDestination(v.target));
  }
  const seeds: VolumeSeed[] = [];
  for (const m of spec.mounts ?? []) {
    if (m.type !== 'bind' || typeof m.source !== 'string' || noCopy.has(cleanDestination(m.destination))) continue;
    const named = path.isAbsolute(m.source) && path.dirname(path.normalize(m.source)) === root;
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
 * created: contents, owners, modes, links and times, and the directory's own owner and mode. A volume that holds
 * anything is used as it is (so a volume is filled once, and a volume a user emptied stays empty only until the
 * next container is made, as in docker); a destination that is not a directory in the image (missing, a file)
 * leaves the volume as it is. The copy is made beside the volume and renamed over the empty directory: a failed
 * or interrupted copy never leaves a half-filled volume (which would count as filled from then on), and a volume
 * another container filled meanwhile is kept. Returns the volumes filled.
 */
export async function seedVolumes(seeds: readonly VolumeSeed[], opts: SeedOptions): Promise<string[]> {
  const filled: string[] = [];
  for (const seed of seeds) {
    const volume = path.isAbsolute(seed.volume) ? seed.volume : path.join(opts.bundleDir, seed.volume);
    if (!isEmptyDirectory(volume)) continue;
    // Symlinks on the way are followed as the container would, never out of the image's root.
    const from = resolveInRootfs(opts.rootfs, seed.destination);
    if (!isDirectory(from)) continue;
    await removeDeadCopies(volume, opts.idMapping);
    const tmp = path.join(path.dirname(volume), `.${path.basename(volume)}.seed-${process.pid}-${++copies}`);
    try {
      await copyRootfs(from, tmp, opts.idMapping);
    } catch (err) {
      throw new CtnrError('BUNDLE_FAILED', `cannot fill volume ${volume} with the image's ${seed.destination}: ${(err as Error).message}`, { cause: err });
    }
    try {
      renameSync(tmp, volume); // replaces the directory only while it is empty
      filled.push(volume);
    } catch (err) {
      await removeTree(tmp, opts.idMapping).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') {
        throw new CtnrError('BUNDLE_FAILED', `cannot fill volume ${volume} with the image's ${seed.destination}: ${code ?? (err as Error).message}`, { cause: err });
      }
    }
  }
  return filled;
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

function isDirectory(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}
