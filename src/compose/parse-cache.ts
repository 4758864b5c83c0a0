import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RESET, type ComposeCache, type MergeTags, type ParsedCompose } from './yaml.js';

/**
 * Parsed compose files kept between runs. Parsing YAML is most of what `ctnr spec` costs on a large file (the
 * `yaml` package needs about 0.2 ms per service, 1 s for a file of 5,000), and 6 ms of a cold start even for a
 * file of one service (yaml's code runs cold); the same file is usually read again and again: `spec web`,
 * `spec api`, `check`. What is kept is a file's data as parsed, before
 * interpolation (the environment may differ between runs), with its merge tags; positions are found by
 * parsing the text again, and only when an error or a warning needs one.
 *
 * An entry holds the text it was parsed from and is used only for exactly that text (the file name is a hash
 * of it, which may collide; the text may not), and only by the build that wrote it (its hash is in the name:
 * another version of ctnr may parse differently). Only data that JSON gives back exactly is kept: a file with
 * YAML aliases (shared values), `.inf`/`.nan` or `-0` is parsed every time. Entries are private files (0600 in
 * a 0700 directory of this user's), written whole to a temporary name and renamed; one owned by someone else
 * or writable by others is ignored. When an entry is written, those not read for a week go, and the least recently
 * read beyond 256.
 */

const MAX_DEPTH = 256;
const STALE_MS = 7 * 24 * 3600 * 1000;
const MAX_ENTRIES = 256;

interface Entry {
  text: string;
  /** Where the `!reset` marker was (JSON has no way to write it). */
  resets: Array<Array<string | number>>;
  mergeTags: MergeTags;
  raw: Record<string, unknown>;
}

/** A cache in `dir` (created 0700 on first write) for the parser of build `build`. */
export function composeCache(dir: string, build: string): ComposeCache {
  const fileOf = (text: string) => path.join(dir, `compose-${build}-${textHash(text)}.json`);
  return {
    get(text) {
      const entry = readEntry(fileOf(text));
      if (entry === undefined || entry.text !== text) return undefined;
      return fromEntry(entry);
    },
    set(text, parsed) {
      const resets = jsonExactResets(parsed.raw);
      if (resets === undefined) return;
      writeEntry(dir, fileOf(text), { text, resets, mergeTags: parsed.mergeTags, raw: parsed.raw });
    },
  };
}

function readEntry(file: string): Entry | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return undefined;
    const entry = JSON.parse(readFileSync(fd, 'utf8')) as Entry;
    return entry && typeof entry.text === 'string' && Array.isArray(entry.resets) && entry.raw && typeof entry.raw === 'object' && entry.mergeTags ? entry : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function fromEntry(entry: Entry): ParsedCompose | undefined {
  const raw = entry.raw;
  // Each path leads through the entry's own data to the marker's placeholder (an entry is this user's own file,
  // but a prototype is never a place to write); one that does not makes the entry unusable.
  const own = (node: any, seg: string | number): boolean => node !== null && typeof node === 'object' && seg !== '__proto__' && Object.hasOwn(node, seg);
  for (const at of entry.resets) {
    if (!Array.isArray(at) || at.length === 0) return undefined;
    let parent: any = raw;
    for (const seg of at.slice(0, -1)) {
      if (!own(parent, seg)) return undefined;
      parent = parent[seg];
    }
    const last = at[at.length - 1]!;
    if (!own(parent, last)) return undefined;
    parent[last] = RESET;
  }
  // The tables are looked up by service name: no prototype behind them ("constructor" is a valid name).
  const table = (t: Record<string, string[]>) => Object.assign(Object.create(null) as Record<string, string[]>, t);
  return { raw, mergeTags: { reset: table(entry.mergeTags.reset ?? {}), override: table(entry.mergeTags.override ?? {}) } };
}

function writeEntry(dir: string, file: string, entry: Entry): void {
  const tmp = `${file}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return;
    writeFileSync(tmp, JSON.stringify(entry), { flag: 'wx', mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    removeQuietly(tmp);
    return; // a cache that cannot be written is only slower
  }
  removeStale(dir);
}

/**
 * Entries not read for a week (an edited file leaves its old text's entry behind), and past MAX_ENTRIES the least
 * recently read ones; temporary files an hour old (a killed run's). Reads update atime at least daily (relatime).
 */
function removeStale(dir: string): void {
  const now = Date.now();
  try {
    const kept: Array<{ file: string; atimeMs: number }> = [];
    for (const name of readdirSync(dir)) {
      if (!name.startsWith('compose-')) continue;
      const file = path.join(dir, name);
      const st = statSync(file);
      if (name.endsWith('.tmp') ? st.mtimeMs < now - 3600_000 : st.atimeMs < now - STALE_MS) removeQuietly(file);
      else if (!name.endsWith('.tmp')) kept.push({ file, atimeMs: st.atimeMs });
    }
    kept.sort((a, b) => b.atimeMs - a.atimeMs);
    for (const old of kept.slice(MAX_ENTRIES)) removeQuietly(old.file);
  } catch {
    /* another run is cleaning up too */
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* gone already */
  }
}

/**
 * The paths of the `!reset` markers in `raw`, or undefined when JSON would not give `raw` back exactly: a value
 * reached twice (a YAML alias: the copy would no longer be shared), a number JSON cannot write (`.inf`, `.nan`,
 * `-0`), anything but plain objects, arrays, strings, finite numbers, booleans and null, or nesting deeper than
 * MAX_DEPTH.
 */
function jsonExactResets(raw: unknown): Array<Array<string | number>> | undefined {
  const resets: Array<Array<string | number>> = [];
  const seen = new Set<object>();
  const at: Array<string | number> = [];
  const exact = (value: unknown): boolean => {
    if (value === RESET) {
      resets.push([...at]);
      return true;
    }
    if (value === null) return true;
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return true;
      case 'number':
        return Number.isFinite(value) && !Object.is(value, -0);
      case 'object': {
        if (seen.has(value) || at.length >= MAX_DEPTH) return false;
        seen.add(value);
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            at.push(i);
            const ok = exact(value[i]);
            at.pop();
            if (!ok) return false;
          }
          return true;
        }
        if (Object.getPrototypeOf(value) !== Object.prototype) return false;
        for (const key of Object.keys(value)) {
          at.push(key);
          const ok = exact((value as Record<string, unknown>)[key]);
          at.pop();
          if (!ok) return false;
        }
        return true;
      }
      default:
        return false;
    }
  };
  return exact(raw) ? resets : undefined;
}

/** 64 bits of two FNV-1a variants over the UTF-16 code units: a file name, not a proof (the entry holds the text). */
function textHash(text: string): string {
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
