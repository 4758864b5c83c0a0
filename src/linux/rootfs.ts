import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from './read-file.js';

/**
 * Resolve `inner` (an absolute path inside the container) against `rootfs` the way the container would see
 * it: symlinks are followed but can never leave the rootfs (an image's `/etc/passwd -> /etc/shadow` or
 * `-> ../../host` stays inside). Returns the host path.
 */
export function resolveInRootfs(rootfs: string, inner: string): string {
  const parts = inner.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(rootfs, ...resolved, part);
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      isLink = false;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++hops > 40) throw new Error(`too many symlinks resolving ${inner}`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    parts.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return path.join(rootfs, ...resolved);
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  /** The home directory field (engines set `HOME` from it). */
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function readLines(rootfs: string, file: string): string[] | undefined {
  try {
    // The image's file: a FIFO or a device there (an image can hold both) must not hang or exhaust memory.
    return readRegularFile(resolveInRootfs(rootfs, file)).split('\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

const ID = /^\d+$/;

/** Entries of `<rootfs>/etc/passwd`, or undefined when the file does not exist. Malformed lines are skipped. */
export function readPasswd(rootfs: string): PasswdEntry[] | undefined {
  const lines = readLines(rootfs, '/etc/passwd');
  if (!lines) return undefined;
  const out: PasswdEntry[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7 || !ID.test(f[2]!) || !ID.test(f[3]!)) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return out;
}

export function readGroup(rootfs: string): GroupEntry[] | undefined {
  const lines = readLines(rootfs, '/etc/group');
  if (!lines) return undefined;
  const out: GroupEntry[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4 || !ID.test(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) });
  }
  return out;
}
