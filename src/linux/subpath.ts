import { lstatSync } from 'node:fs';
import path from 'node:path';

/**
 * The host path of `sub` below `root`, for a mount's `volume.subpath` or `image.subpath`, or why it cannot be one.
 *
 * A runtime binds the source path as the kernel resolves it, following every symbolic link on the way. A named
 * volume is written by the containers that mount it, so one of them can plant a link (`data -> /etc`) and a
 * service that mounts `subpath: data` would get the host's /etc; an image can ship such a link too. So the path
 * is taken as written (relative, no `..`) and no component of it may be a link. Components that do not exist
 * yet are fine unless `mustExist` (the bundle writer creates a volume's missing directories).
 * Checked when the spec is generated: a link planted between then and the runtime's mount is not seen.
 */
export function subpathSource(root: string, sub: string, mustExist: boolean): { path: string } | { problem: string } {
  const parts = sub.split('/').filter((p) => p !== '' && p !== '.');
  if (path.isAbsolute(sub) || parts.includes('..') || parts.length === 0) return { problem: 'must be a relative path inside' };
  let at = root;
  for (let i = 0; i < parts.length; i++) {
    at = path.join(at, parts[i]!);
    const rel = parts.slice(0, i + 1).join('/');
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (st === undefined) {
      if (mustExist) return { problem: `"${rel}" does not exist in` };
      return { path: path.join(root, ...parts) };
    }
    if (st.isSymbolicLink()) return { problem: `"${rel}" is a symbolic link (a link could lead out of it; ctnr follows none) in` };
    if (i < parts.length - 1 && !st.isDirectory()) return { problem: `"${rel}" is not a directory in` };
  }
  return { path: at };
}
