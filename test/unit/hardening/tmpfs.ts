import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A private tmpfs mounted on a fresh temp dir, for tests that need device nodes, a read-only or a full
 * filesystem. Never the host's /dev: device nodes are made with mknod inside it. Needs root (CAP_SYS_ADMIN).
 */
export interface Tmpfs {
  dir: string;
  /** Remount with other options (e.g. `ro`). */
  remount(options: string): void;
  cleanup(): void;
}

export function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const t = tryMount('size=64k');
  if (!t) return false;
  t.cleanup();
  return true;
}

function tryMount(options: string): Tmpfs | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    remount(opts) {
      const m = spawnSync('mount', ['-o', `remount,${opts}`, dir], { encoding: 'utf8' });
      if (m.status !== 0) throw new Error(`remount ${dir}: ${m.stderr}`);
    },
    cleanup() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function mountTmpfs(options = 'size=4m'): Tmpfs {
  const t = tryMount(options);
  if (!t) throw new Error('cannot mount a tmpfs');
  return t;
}

/** `mknod DIR/NAME c MAJOR MINOR`: 1,3 behaves as /dev/null, 1,7 as /dev/full. */
export function mknodChar(file: string, major: number, minor: number): void {
  const r = spawnSync('mknod', [file, 'c', String(major), String(minor)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mknod ${file}: ${r.stderr}`);
}
