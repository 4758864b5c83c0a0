import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

/** Users and groups every test rootfs has, so tests can resolve names. */
export const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'app:x:1000:1000:app:/home/app:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
].join('\n') + '\n';
export const GROUP = ['root:x:0:', 'app:x:1000:', 'audio:x:29:app', 'video:x:44:', 'nogroup:x:65534:'].join('\n') + '\n';

/**
 * A tiny root filesystem from the static busybox: /bin/busybox plus applet links, /etc/passwd and
 * /etc/group, empty mount points. Built once per call in a temp dir; remove it with the returned cleanup.
 */
export function buildBusyboxRootfs(dir?: string): { rootfs: string; cleanup: () => void } {
  if (!BUSYBOX) throw new Error('busybox not found (apt-get install busybox-static)');
  const rootfs = dir ?? mkdtempSync(path.join(os.tmpdir(), 'ctnr-rootfs-'));
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home/app', 'run', 'var/tmp', 'sbin', 'usr/bin']) {
    mkdirSync(path.join(rootfs, d), { recursive: true });
  }
  chmodSync(rootfs, 0o755); // mkdtemp makes 0700: a non-root container user could not reach /bin
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, path.join(rootfs, 'bin/busybox'));
  chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    const link = path.join(rootfs, 'bin', a);
    if (a !== 'busybox' && !existsSync(link)) symlinkSync('busybox', link);
  }
  writeFileSync(path.join(rootfs, 'etc/passwd'), PASSWD);
  writeFileSync(path.join(rootfs, 'etc/group'), GROUP);
  return { rootfs, cleanup: () => rmSync(rootfs, { recursive: true, force: true }) };
}
