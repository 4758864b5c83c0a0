import { remembered } from './remember.js';
import type { BundleFile } from './types.js';

/**
 * The rules for files plugins declare (BundleFile): the engine checks them when a plugin returns a file, and
 * the bundle writer checks the same rules again before writing (src/bundle/writer.ts), so the two cannot drift.
 */

/** The bundle's own files: the spec, ctnr's metadata (src/bundle/metadata.ts) and the root filesystem. */
export const CONFIG_FILE = 'config.json';
export const METADATA_FILE = 'ctnr.json';
export const ROOTFS_DIR = 'rootfs';

/** Why `p` cannot be a bundle file path, or undefined. */
export function bundlePathProblem(p: unknown): string | undefined {
  return typeof p !== 'string' || p === '' ? 'needs a path' : pathTextProblem(p);
}

/** Plugins declare the same few files for every service: the answers are remembered. */
const pathTextProblem = remembered((p): string | undefined => {
  const segs = p.split('/');
  for (const s of segs) if (s === '..' || s === '' || s === '.') return 'path must be relative, without "..", "." or empty segments';
  if (p === CONFIG_FILE || p === METADATA_FILE || segs[0] === ROOTFS_DIR) return 'path is reserved';
  return undefined;
});

/** Why `file` is not a valid bundle file declaration, or undefined. */
export function bundleFileProblem(file: BundleFile): string | undefined {
  if (!file || typeof file !== 'object') return 'needs a path';
  const problem = bundlePathProblem(file.path);
  if (problem !== undefined) return problem;
  const kind = file.kind ?? 'file';
  const sources = (file.content !== undefined ? 1 : 0) + (file.json !== undefined ? 1 : 0) + (file.copyFrom !== undefined ? 1 : 0);
  if (kind === 'file' && sources !== 1) return 'a file needs exactly one of content, json or copyFrom';
  if (kind === 'directory' && sources !== 0) return 'a directory has no content';
  return undefined;
}

/** The text a file declaration writes: its `content`, or its `json` serialized (undefined for copyFrom and directories). */
export function fileContent(file: Pick<BundleFile, 'content' | 'json'>): string | undefined {
  return file.json !== undefined ? JSON.stringify(file.json) + '\n' : file.content;
}
