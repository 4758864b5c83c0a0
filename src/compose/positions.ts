import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type YAMLMap } from 'yaml';
import type { SourceLocation } from '../engine/errors.js';

/** Children are located down to this depth (the document's top level is depth 0), as deep as anything is checked. */
const MAX_DEPTH = 64;

/** One key of a mapping as a path segment: where it is written and the value below it. */
interface Entry {
  at: Node | null | undefined;
  value: unknown;
}

/** Where a key path of a compose file is written (PositionIndex; a file read in parts has one per part). */
export interface Positions {
  readonly file: string;
  /** The closest location written for a path (walks up to the parent key when a leaf has none). */
  locate(path: ReadonlyArray<string | number>): SourceLocation;
}

/**
 * Where keys and items of a parsed YAML document are written, found on demand: `locate(path)` follows the path
 * (`['services', 'web', 'ports', 1]`) down the document's nodes and gives the closest key or item written
 * there (walking up to the parent key when a leaf is not in the file). Nothing is computed until an error or a
 * warning asks, so a valid file of 5,000 services pays for no index of its 500,000 nodes; a mapping's keys are
 * indexed the first time a path goes through it (the `services` mapping once, not once per service), and the
 * line table the first time a position is turned into line:col.
 *
 * The answers are those of a full index built by a walk of the whole document, key by key, where a later entry
 * for the same rendered path replaces an earlier one: aliases are not followed (what sits behind one is located
 * at the alias: walking aliases of aliases is exponential, the "billion laughs" document), nothing deeper than
 * MAX_DEPTH is located, and a key `<<` whose value is the plain string "<<" brings in the keys of the mappings
 * it names, at their own lines, unless the mapping has them itself. (A merge key proper, which yaml resolves to
 * a symbol, is an ordinary key here: merged values are located at the service or key that merges them.)
 */
export class PositionIndex implements Positions {
  readonly file: string;
  private doc: Document | (() => Document);
  private readonly text: string;
  private lineStarts: number[] | undefined;
  private readonly entries = new WeakMap<YAMLMap, Map<string, Entry[]>>();
  private readonly fileLines: readonly number[] | undefined;

  /**
   * `doc` may be a function that parses the text: it is called the first time a path is located. `fileLines`: the
   * file's line (1-based) of each line of `text`, when `text` is some of a file's lines (split-parse.ts).
   */
  constructor(file: string, doc: Document | (() => Document), text: string, fileLines?: readonly number[]) {
    this.file = file;
    this.doc = doc;
    this.text = text;
    this.fileLines = fileLines;
  }

  /** The closest location written for a path (walks up to the parent key when a leaf has none). */
  locate(path: ReadonlyArray<string | number>): SourceLocation {
    if (typeof this.doc === 'function') this.doc = this.doc();
    const hit = this.search(this.doc.contents, path, 0);
    if (hit === undefined) return { file: this.file };
    const { line, col } = this.linePos(hit.offset);
    return { file: this.file, line, col };
  }

  /** line:col (1-based) of a character offset, as yaml's LineCounter gives it (the file's line with `fileLines`). */
  linePos(offset: number): { line: number; col: number } {
    const at = this.textLinePos(offset);
    return this.fileLines === undefined || at.line === 0 ? at : { line: this.fileLines[at.line - 1] ?? at.line, col: at.col };
  }

  private textLinePos(offset: number): { line: number; col: number } {
    const starts = (this.lineStarts ??= lineStartsOf(this.text));
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (starts[mid]! < offset) low = mid + 1;
      else high = mid;
    }
    if (starts[low] === offset) return { line: low + 1, col: 1 };
    if (low === 0) return { line: 0, col: offset };
    return { line: low, col: offset - starts[low - 1]! + 1 };
  }

  /**
   * The deepest position written along `path` from `node` (at depth `i`), as `{ offset, depth }`. When a segment
   * matches several entries (keys `1` and `"1"` of one mapping), the deeper answer wins, and of equally deep
   * answers the later one, as the later entry of a full index would.
   */
  private search(node: unknown, path: ReadonlyArray<string | number>, i: number): { offset: number; depth: number } | undefined {
    if (i >= path.length || i > MAX_DEPTH || isAlias(node)) return undefined;
    const seg = path[i]!;
    let candidates: readonly Entry[] | undefined;
    if (isMap(node)) candidates = typeof seg === 'string' ? this.entriesOf(node).get(seg) : undefined;
    else if (isSeq(node)) candidates = typeof seg === 'number' && Number.isInteger(seg) && seg >= 0 && seg < node.items.length ? [{ at: node.items[seg] as Node, value: node.items[seg] }] : undefined;
    if (candidates === undefined) return undefined;
    let best: { offset: number; depth: number } | undefined;
    for (const c of candidates) {
      const start = c.at?.range?.[0];
      const found = this.search(c.value, path, i + 1) ?? (start === undefined ? undefined : { offset: start, depth: i + 1 });
      if (found !== undefined && (best === undefined || found.depth >= best.depth)) best = found;
    }
    return best;
  }

  /** A mapping's keys as path segments, in document order (built once per mapping, when a path first goes through it). */
  private entriesOf(map: YAMLMap): Map<string, Entry[]> {
    let out = this.entries.get(map);
    if (out) return out;
    out = new Map();
    const add = (key: string, entry: Entry) => {
      const list = out!.get(key);
      if (list) list.push(entry);
      else out!.set(key, [entry]);
    };
    const explicit = new Set<string>();
    for (const pair of map.items) if (isScalar(pair.key) && pair.key.value !== '<<') explicit.add(String(pair.key.value));
    for (const pair of map.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (key !== '<<') {
        add(key, { at: pair.key as Node, value: pair.value });
        continue;
      }
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const src of sources) {
        const target = isAlias(src) ? src.resolve(this.doc as Document) : src;
        if (!isMap(target)) continue;
        for (const inner of target.items) {
          if (!isScalar(inner.key)) continue;
          const k = String(inner.key.value);
          if (explicit.has(k)) continue;
          explicit.add(k);
          add(k, { at: inner.key as Node, value: inner.value });
        }
      }
    }
    this.entries.set(map, out);
    return out;
  }
}

/** The offset where each line starts: 0, and after every `\n` (yaml's lexer ends lines at `\n`; `\r\n` too). */
function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
