import { readdirSync } from 'node:fs';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { renderPath } from '../../engine/errors.js';
import { describeErrno, errnoCode } from '../errno.js';
import { READ_REASONS, readRegularFile } from '../read-file.js';
import { qualifiedName } from './names.js';
import { cdiSpecSchema, type CdiSpec } from './schema.js';
import { LEGACY_OCTAL } from '../yaml-octal.js';

/**
 * Finding and reading CDI spec files (container-device-interface `pkg/cdi` spec-dirs.go, spec.go, cache.go):
 *
 * - the spec directories are read in order, default `/etc/cdi` then `/var/run/cdi`; a directory that does not
 *   exist is skipped; subdirectories are not entered;
 * - in each directory the files ending in `.json` or `.yaml` (not `.yml`, as CDI) are read in name order;
 *   both are parsed as YAML (JSON is YAML), duplicate keys and unknown keys are errors;
 * - a device defined in a later directory replaces the same fully-qualified name from an earlier one; two files
 *   of the directory that wins defining the same name make that name unusable ("conflicting device");
 * - a file that cannot be read or is not a valid spec is a problem naming the file, the line and the key path,
 *   and its devices are not there (the other files still count, as in CDI).
 */

export const DEFAULT_CDI_SPEC_DIRS: readonly string[] = ['/etc/cdi', '/var/run/cdi'];

export interface CdiSpecFile {
  /** Absolute path of the file. */
  file: string;
  /** Index of its directory in the spec dirs: a higher one wins. */
  priority: number;
  spec: CdiSpec;
}

export interface CdiDevice {
  /** `vendor.com/class=name`. */
  qualified: string;
  kind: string;
  name: string;
  /** The file that defines it (its common `containerEdits` apply too). */
  from: CdiSpecFile;
  /** Index in that file's `devices`. */
  index: number;
}

/** A spec file (or directory) that could not be used. */
export interface CdiProblem {
  file: string;
  line?: number;
  col?: number;
  /** Key path inside the file (`devices[0].containerEdits.env[1]`). */
  path?: string;
  message: string;
  /** The file's `kind`, when it could be read: whether the problem matters for a request. */
  kind?: string;
}

export interface CdiRegistry {
  dirs: readonly string[];
  specs: readonly CdiSpecFile[];
  /** By fully-qualified name, after priorities; conflicting names are left out (see `conflicts`). */
  devices: ReadonlyMap<string, CdiDevice>;
  /** Fully-qualified names defined by several files of the winning directory → those files. */
  conflicts: ReadonlyMap<string, readonly string[]>;
  problems: readonly CdiProblem[];
}

/** `file:line:col key.path: message` (the parts that are known). */
export function formatCdiProblem(p: CdiProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}${p.col !== undefined ? `:${p.col}` : ''}` : p.file;
  return `${where}${p.path ? ` ${p.path}` : ''}: ${p.message}`;
}

/** Every spec file in `dirs` (later dirs win), with the devices they define and the files that failed. */
export function readCdiSpecDirs(dirs: readonly string[] = DEFAULT_CDI_SPEC_DIRS): CdiRegistry {
  const specs: CdiSpecFile[] = [];
  const problems: CdiProblem[] = [];
  dirs.forEach((dir, priority) => {
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((e) => !e.isDirectory() && (e.name.endsWith('.json') || e.name.endsWith('.yaml')))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') problems.push({ file: dir, message: `cannot read the CDI spec directory: ${describeErrno(err)}` });
      return;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const read = readCdiSpecFile(file);
      if ('problem' in read) problems.push(read.problem);
      else specs.push({ file, priority, spec: read.spec });
    }
  });

  // For each name, the definitions of the highest priority that has one.
  const best = new Map<string, CdiDevice[]>();
  for (const s of specs) {
    s.spec.devices.forEach((d, index) => {
      const qualified = qualifiedName(s.spec.kind, d.name);
      const entry: CdiDevice = { qualified, kind: s.spec.kind, name: d.name, from: s, index };
      const have = best.get(qualified);
      if (!have || have[0]!.from.priority < s.priority) best.set(qualified, [entry]);
      else if (have[0]!.from.priority === s.priority) have.push(entry);
    });
  }
  const devices = new Map<string, CdiDevice>();
  const conflicts = new Map<string, string[]>();
  for (const [qualified, entries] of best) {
    if (entries.length === 1) devices.set(qualified, entries[0]!);
    else conflicts.set(qualified, entries.map((e) => e.from.file));
  }
  return { dirs, specs, devices, conflicts, problems };
}


/** One spec file, parsed and checked. */
export function readCdiSpecFile(file: string): { spec: CdiSpec } | { problem: CdiProblem } {
  let textIn: string;
  try {
    textIn = readRegularFile(file);
  } catch (err) {
    return { problem: { file, message: `cannot read the CDI spec: ${describeErrno(err, READ_REASONS)}` } };
  }
  const counter = new LineCounter();
  const doc = parseDocument(textIn, { lineCounter: counter, prettyErrors: false, uniqueKeys: true, customTags: (tags) => [LEGACY_OCTAL, ...tags] });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0]);
    return { problem: { file, line: pos.line, col: pos.col, message: `not valid JSON or YAML: ${e.message.split('\n')[0]}` } };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { problem: { file, message: `not valid JSON or YAML: ${(err as Error).message}` } };
  }
  const kind = raw !== null && typeof raw === 'object' && typeof (raw as { kind?: unknown }).kind === 'string' ? (raw as { kind: string }).kind : undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problem: { file, line: 1, col: 1, message: 'a CDI spec is a mapping with cdiVersion, kind and devices' } };
  }
  const result = cdiSpecSchema().safeParse(raw);
  if (result.success) return { spec: result.data };
  const issues = result.error.issues;
  const first = issues[0]!;
  const keyPath = first.path.filter((s): s is string | number => typeof s !== 'symbol');
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const pos = locate(doc, counter, first.code === 'unrecognized_keys' ? [...keyPath, first.keys[0]!] : keyPath);
  const problemPath = first.code === 'unrecognized_keys' ? renderPath([...keyPath, first.keys[0]!]) : renderPath(keyPath);
  const message =
    first.code === 'unrecognized_keys'
      ? `unknown key${first.keys.length > 1 ? 's' : ''} ${first.keys.map((k) => `"${k}"`).join(', ')}`
      : first.code === 'invalid_type' && valueAt(raw, keyPath) === undefined
        ? 'is required'
        : first.message.replace(/^Invalid input: /, '');
  return { problem: { file, ...pos, ...(problemPath !== '' ? { path: problemPath } : {}), message: message + more, ...(kind !== undefined ? { kind } : {}) } };
}

function valueAt(raw: unknown, keyPath: ReadonlyArray<string | number>): unknown {
  let v = raw;
  for (const seg of keyPath) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

/** Line and column of the key (or item) at `keyPath`, else of the deepest part of it that is there. */
function locate(doc: Document, counter: LineCounter, keyPath: ReadonlyArray<string | number>): { line?: number; col?: number } {
  let node: unknown = doc.contents;
  let at: Node | undefined = doc.contents ?? undefined;
  for (const seg of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      at = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      at = item as Node;
      node = item;
    } else break;
  }
  const start = at?.range?.[0];
  if (start === undefined) return {};
  const pos = counter.linePos(start);
  return { line: pos.line, col: pos.col };
}
