import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Device } from '../spec/types.js';

/** Split a Linux `dev_t` (glibc encoding: 12-bit major, 20-bit minor, split across the word) into major/minor. */
export function splitDevNumber(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor & 0xffffffffn) };
}

/** A device node on this host as a spec device at `containerPath`, or undefined when `stats` is no device. */
export function deviceFromStats(stats: Stats, containerPath: string): Device | undefined {
  const type = stats.isCharacterDevice() ? 'c' : stats.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  const { major, minor } = splitDevNumber(stats.rdev);
  return { path: containerPath, type, major, minor, fileMode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid };
}

/** Follow symlinks (docker resolves `/dev/disk/by-id/…` to the node). */
export function statDevice(hostPath: string, containerPath: string): Device | undefined {
  return deviceFromStats(statSync(hostPath), containerPath);
}

/** Directories runc's host-device walk leaves out (`devices.HostDevices`): pseudo filesystems and runtime state. */
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/**
 * Every device node under `dir` (recursively, symlinks not followed, `console` skipped), mapped to the same
 * path under `containerDir`, sorted by path so the output is stable.
 */
export function listDevices(dir: string, containerDir = dir): Device[] {
  const out: Device[] = [];
  const walk = (host: string, inner: string) => {
    let names: string[];
    try {
      names = readdirSync(host).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const h = path.join(host, name);
      const c = path.posix.join(inner, name);
      let st: Stats;
      try {
        st = lstatSync(h);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(h, c);
        continue;
      }
      if (name === 'console') continue;
      const d = deviceFromStats(st, c);
      if (d) out.push(d);
    }
  };
  walk(dir, containerDir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
