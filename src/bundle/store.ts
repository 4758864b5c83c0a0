import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { removeBundleTree } from './rootfs-mount.js';
import { readMetadata, type BundleMetadata } from './metadata.js';
import { CONFIG_FILE, isCtnrBundle, listTempDirs, METADATA_FILE } from './writer.js';

/**
 * Bundles live under `<dataDir>/bundles/<name>` (`/var/lib/ctnr/bundles`, rootless
 * `$XDG_DATA_HOME/ctnr/bundles`). Named volumes live beside them in `<dataDir>/volumes/` and are never removed
 * with a bundle.
 */
export function bundlesDir(dataDir: string): string {
  return path.join(dataDir, 'bundles');
}

export interface StoredBundle {
  name: string;
  dir: string;
  metadata?: BundleMetadata;
  /** With `all`: a temporary directory of a bundle write (see listTempDirs), live or left by a killed process. */
  temporary?: { bundle: string; kind: 'tmp' | 'old'; pid: number; alive: boolean };
}

/**
 * Bundles under the data dir, sorted by name. Temporary build directories (`.name.tmp-PID`, `.name.old-PID`) are
 * skipped unless `all` asks for them too.
 */
export function listBundles(dataDir: string, opts: { all?: boolean } = {}): StoredBundle[] {
  const bundles = completeBundles(dataDir);
  if (!opts.all) return bundles;
  const temps: StoredBundle[] = listTempDirs(bundlesDir(dataDir)).map((t) => ({ name: t.name, dir: t.dir, temporary: { bundle: t.bundle, kind: t.kind, pid: t.pid, alive: t.alive } }));
  return [...bundles, ...temps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function completeBundles(dataDir: string): StoredBundle[] {
  const root = bundlesDir(dataDir);
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    return [];
  }
  return names
    .sort()
    .map((name) => {
      const dir = path.join(root, name);
      const metadata = readMetadata(dir);
      return { name, dir, ...(metadata ? { metadata } : {}) };
    })
    .filter((b) => b.metadata !== undefined || existsSync(path.join(b.dir, CONFIG_FILE)));
}

/** A bundle name or path → its directory. A bare name is looked up under the data dir. */
export function resolveBundle(dataDir: string, nameOrPath: string): string {
  const isPath = nameOrPath.includes('/') || nameOrPath === '.' || nameOrPath === '..';
  const dir = isPath ? path.resolve(nameOrPath) : path.join(bundlesDir(dataDir), nameOrPath);
  if (!existsSync(path.join(dir, CONFIG_FILE))) throw new CtnrError('USAGE', `no bundle at ${dir}`);
  return dir;
}

export function removeBundle(dir: string): void {
  // Only directories ctnr wrote (the same check `bundle create --force` makes): a typo must not delete an
  // unrelated tree.
  if (!isCtnrBundle(dir)) throw new CtnrError('USAGE', `${dir} is not a ctnr bundle (no ${METADATA_FILE}); not removed`);
  removeBundleTree(dir);
}
