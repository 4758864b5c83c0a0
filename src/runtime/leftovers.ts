import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { isCtnrError } from '../engine/errors.js';
import { networkDown, releaseEndpoints } from '../network/hook.js';
import { NETWORK_SETTINGS_FILE } from '../network/settings.js';
import type { ContainerRecord } from './state.js';

/**
 * What a container may leave behind when its runtime dies before it ran the poststop hook (runc killed with -9
 * while `up` starts it, a host crash): its CNI endpoints (pinned namespace, veth, NAT rules, leases, the
 * network's state entry and bridge) and its empty cgroups. Released here, after the runtime's own delete, so a
 * container the runtime cleaned up normally costs a read of the network state and nothing else.
 */

/**
 * The network teardown of container `rec.id` (the same the poststop hook does): through the bundle's network
 * settings when the bundle is still there, else from the network state of `rec.dataDir` alone. Problems are
 * reported to `warn`; cleanup never hides the failure that led to it.
 */
export async function releaseNetwork(rec: Pick<ContainerRecord, 'id' | 'bundle' | 'dataDir'>, warn: (m: string) => void = () => {}): Promise<void> {
  try {
    if (existsSync(path.join(rec.bundle, NETWORK_SETTINGS_FILE))) {
      await networkDown({ id: rec.id, pid: 0, bundle: rec.bundle }, { warn });
    } else if (rec.dataDir !== undefined) {
      const { errors } = releaseEndpoints(rec.dataDir, (ep) => ep.id === rec.id, { warn, unpin: [rec.id] });
      for (const e of errors) warn(e);
    }
  } catch (err) {
    warn(`releasing the network of ${rec.id}: ${isCtnrError(err) ? [err.message, ...(err.details ?? [])].join('; ') : (err as Error).message}`);
  }
}

interface CgroupMount {
  /** Mount point, e.g. /sys/fs/cgroup/memory. */
  dir: string;
  /** The hierarchy path mounted there (mountinfo's root field). */
  root: string;
  /** v1 controllers and `name=` of the hierarchy; empty for cgroup2. */
  controllers: string[];
}

/** cgroup and cgroup2 mounts of `mountinfo`. */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fsType, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const fields = line.slice(0, sep).split(' ');
    const known = fsType === 'cgroup' ? superOpts.split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent') && o !== 'clone_children' && o !== 'noprefix' && o !== 'xattr') : [];
    out.push({ dir: unescapeMountPath(fields[4]!), root: unescapeMountPath(fields[3]!), controllers: known });
  }
  return out;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Where a runtime using cgroupfs puts the cgroup of container `id`, per mounted hierarchy: below the caller's own
 * cgroup (`/proc/self/cgroup`; runc's layout for a spec without cgroupsPath), or at `cgroupsPath` from the
 * hierarchy's root. Inputs are parameters so the rule is testable with recorded files.
 */
export function cgroupDirs(id: string, cgroupsPath: string | undefined, procCgroup: string, mountinfo: string): string[] {
  const mounts = cgroupMounts(mountinfo);
  const out = new Set<string>();
  for (const line of procCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const controllers = m[1] === '' ? [] : m[1]!.split(',');
    const own = m[2]!;
    const mount = mounts.find((mt) => (controllers.length === 0 ? mt.controllers.length === 0 : controllers.every((c) => mt.controllers.includes(c))));
    if (!mount) continue;
    const wanted = path.posix.normalize(cgroupsPath !== undefined && path.posix.isAbsolute(cgroupsPath) ? cgroupsPath : path.posix.join(own, cgroupsPath ?? id));
    // Only a cgroup named for the container: a config.json pointing elsewhere must not make us remove an empty
    // cgroup someone else made.
    if (path.posix.basename(wanted) !== id) continue;
    const rel = path.posix.relative(mount.root, wanted);
    // Outside what is mounted here (or the hierarchy root itself): not ours to touch.
    if (rel === '' || rel.startsWith('..')) continue;
    out.add(path.join(mount.dir, rel));
  }
  return [...out];
}

/** `linux.cgroupsPath` of the bundle's config.json, if it has one (runtimes without systemd paths only). */
function cgroupsPathOf(bundle: string): string | undefined {
  try {
    const p = (JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { linux?: { cgroupsPath?: unknown } }).linux?.cgroupsPath;
    return typeof p === 'string' && p !== '' && !p.includes(':') ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Remove the empty cgroups a runtime made for container `id` and could not remove because it died: rmdir
 * only, which the kernel refuses for a cgroup that still holds a process or a child cgroup.
 */
export function removeEmptyCgroups(id: string, bundle: string): void {
  let procCgroup: string;
  let mountinfo: string;
  try {
    procCgroup = readFileSync('/proc/self/cgroup', 'utf8');
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  for (const dir of cgroupDirs(id, cgroupsPathOf(bundle), procCgroup, mountinfo)) {
    try {
      rmdirSync(dir);
    } catch {
      /* gone already, busy, or not ours */
    }
  }
}
