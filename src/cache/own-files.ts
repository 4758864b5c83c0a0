import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Files a cache keeps for this user alone: private files (0600) in a directory of this user's that nobody else can
 * write (0700 when ctnr makes it). What another user could have put there, or could still change, is never read:
 * whatever a cache gives back is trusted as ctnr's own output (parsed compose data, code that runs).
 */

/** The text of `file` when it is a regular file of this user's that no one else can write; else undefined. */
export function readOwnText(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether `dir` is a directory of this user's that no one else can write (it is created 0700 when missing). */
export function ownPrivateDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    return st.isDirectory() && st.uid === process.geteuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * Write `file` (in `dir`) whole: a private temporary file, renamed into place, so a reader never sees half of
 * one. False when `dir` is not this user's own (ownPrivateDir) or the write failed: a cache that cannot be
 * written is only slower.
 */
export function writeOwnText(dir: string, file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    if (!ownPrivateDir(dir)) return false;
    writeFileSync(tmp, text, { flag: 'wx', mode: 0o600 });
    renameSync(tmp, file);
    return true;
  } catch {
    removeQuietly(tmp);
    return false;
  }
}

/**
 * In `dir`, among the files named `prefix…`: entries not read for `staleMs` (an edited file leaves its old text's
 * entry behind), and past `maxEntries` the least recently read ones; temporary files an hour old (a killed run's).
 * Reads update atime at least daily (relatime).
 */
export function removeStale(dir: string, prefix: string, staleMs: number, maxEntries: number): void {
  const now = Date.now();
  try {
    const kept: Array<{ file: string; atimeMs: number }> = [];
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(prefix)) continue;
      const file = path.join(dir, name);
      const st = statSync(file);
      if (name.endsWith('.tmp') ? st.mtimeMs < now - 3600_000 : st.atimeMs < now - staleMs) removeQuietly(file);
      else if (!name.endsWith('.tmp')) kept.push({ file, atimeMs: st.atimeMs });
    }
    kept.sort((a, b) => b.atimeMs - a.atimeMs);
    for (const old of kept.slice(maxEntries)) removeQuietly(old.file);
  } catch {
    /* another run is cleaning up too */
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* gone already, or never written */
  }
}

/**
 * 64 bits of two FNV-1a variants over the UTF-16 code units: a file name, not a proof (an entry holds what it was
 * made from, and is used only for exactly that). node:crypto would cost milliseconds to load.
 */
export function textHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
