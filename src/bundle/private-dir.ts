import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `<dataDir>/bundles` and `<dataDir>/volumes` hold what containers hold: their environment (config.json), secrets,
 * volume contents. Like docker's and podman's storage directories, they are the owner's alone (0700): a container
 * reaches its bundle files and volumes through mounts, which the runtime makes as root (or, rootless, as this user),
 * so nobody else needs to look inside. Made 0700 when missing; one of an earlier ctnr that others could read or enter,
 * and that belongs to this user, is made 0700 too. A symbolic link there is the user's own arrangement and is left as
 * it is.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(path.dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: 0o700 });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(dir);
  if (st.isDirectory() && st.uid === process.geteuid?.() && (st.mode & 0o077) !== 0) chmodSync(dir, st.mode & 0o7700);
}
