import { lstatSync, statSync } from 'node:fs';

/** A directory at `p`, through symbolic links; false for anything else, or nothing. */
export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A directory at `p` itself: a symbolic link to one does not count. */
export function isRealDirectory(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}
