import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMountPoint } from '../bundle/rootfs-mount.js';
import { CtnrError } from '../engine/errors.js';
import { IPC_FILE } from '../../plugins/network/namespaces.js';

/**
 * The /dev/shm of an `ipc: shareable` container lives on the host, as docker's does: ctnr:namespaces binds the
 * bundle's `ctnr/shm` at /dev/shm and says in `ctnr/ipc.json` which tmpfs to mount there. ctnr mounts it before
 * the runtime starts the container and unmounts it when the container is removed; a container joining its IPC
 * namespace binds the same directory. As an unprivileged user no tmpfs can be mounted: the directory is used as
 * it is.
 */

/** Mount options ctnr passes to mount(8): words of the tmpfs options docker uses, nothing that could add another. */
const OPTION = /^[a-z]+(=[0-9a-z]+)?$/;

/** Mount the tmpfs `ctnr/ipc.json` asks for; returns the directory (absolute), or undefined for a bundle without one. */
export function mountShm(bundle: string): string | undefined {
  const file = path.join(bundle, IPC_FILE);
  if (!existsSync(file)) return undefined;
  let conf: { shm?: { dir?: unknown; options?: unknown } };
  try {
    conf = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CtnrError('RUNTIME_FAILED', `${file} is not valid JSON`);
  }
  const rel = conf.shm?.dir;
  const options = Array.isArray(conf.shm?.options) ? conf.shm!.options : [];
  const dir = typeof rel === 'string' ? path.resolve(bundle, rel) : '';
  if (!dir.startsWith(bundle + path.sep) || !options.every((o): o is string => typeof o === 'string' && OPTION.test(o))) {
    throw new CtnrError('RUNTIME_FAILED', `${file}: not a /dev/shm this bundle can have (a directory inside it, tmpfs options)`);
  }
  if (process.getuid?.() !== 0 || isMountPoint(dir)) return dir;
  const r = spawnSync('mount', ['-t', 'tmpfs', ...(options.length > 0 ? ['-o', options.join(',')] : []), 'shm', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new CtnrError('RUNTIME_FAILED', `cannot mount the shareable /dev/shm at ${dir}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  return dir;
}

/** Unmount the tmpfs of `mountShm`, if it is there (lazily when something still holds it open). */
export function unmountShm(bundle: string, warn: (m: string) => void = () => {}): void {
  const file = path.join(bundle, IPC_FILE);
  if (!existsSync(file)) return;
  let dir: string;
  try {
    const rel = (JSON.parse(readFileSync(file, 'utf8')) as { shm?: { dir?: unknown } }).shm?.dir;
    if (typeof rel !== 'string') return;
    dir = path.resolve(bundle, rel);
  } catch {
    return;
  }
  if (!dir.startsWith(bundle + path.sep) || !isMountPoint(dir)) return;
  if (spawnSync('umount', [dir]).status === 0) return;
  const r = spawnSync('umount', ['-l', dir], { encoding: 'utf8' });
  if (r.status !== 0) warn(`cannot unmount ${dir}: ${(r.stderr ?? '').trim() || `exit ${r.status}`}`);
}
