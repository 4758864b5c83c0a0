import path from 'node:path';
import { readOwnText, removeStale, textHash, writeOwnText } from '../cache/own-files.js';
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
  const text = readOwnText(file);
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as Entry;
    return entry && typeof entry.text === 'string' && Array.isArray(entry.resets) && entry.raw && typeof entry.raw === 'object' && entry.mergeTags ? entry : undefined;
  } catch {
    return undefined;
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
  if (writeOwnText(dir, file, JSON.stringify(entry))) removeStale(dir, 'compose-', STALE_MS, MAX_ENTRIES);
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
