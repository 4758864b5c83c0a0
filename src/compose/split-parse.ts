import { isAlias, isCollection, isMap, isPair, isScalar, type Document } from 'yaml';
import type { Lookup } from './interpolate.js';
import { interpolateTree } from './interpolate-tree.js';
import { lazyMap } from './lazy-map.js';
import { PositionIndex, type Positions } from './positions.js';
import { keepRanges, splitCompose, type ComposeSplit, type ServiceEntry } from './split.js';
import { collectMergeTags, parseChecked, parseComposeYaml, parseYaml, RESET, type ComposeCache, type ComposeYaml, type MergeTags, type ServiceSource } from './yaml.js';

/*
 * A large file read in parts: when a command names the services it works on (`spec web`, `run web`), only the
 * top-level entries, those services' entries and the entries that may define anchors are parsed; every other
 * service is parsed the first time something reads it (`extends`, `network_mode: service:…`, a dependency).
 * Each part is the file's top-level entries and some services' entries, in file order (split.ts): anchors resolve
 * as in the whole file, and errors and positions are reported at the file's own lines and columns.
 *
 * What a part parses is checked as the whole file would be (yaml's errors, duplicate keys, sizes); an entry that is
 * never read is not: `spec web` does not fail on a YAML error in another service's entry, as it already does not
 * fail on that service's invalid keys (`check`, `up` and any command that reads the service do).
 */

/**
 * Files smaller than this are parsed whole when a command names its services (in 50 ms at most here, or read
 * from the parse cache): only larger ones pay for parsing every entry when one is used.
 */
export const READ_IN_PARTS_MIN_BYTES = 128 * 1024;
/** Files smaller than this are parsed whole when all of them is read (parts gain nothing measurable below). */
const ALL_IN_PARTS_MIN_BYTES = 16 * 1024;
/**
 * yaml refuses a document that uses one anchor too often (its alias-bomb check: uses × the aliases inside it >
 * 1,000), and checks each part on its own. So that a file is refused as it would be whole, one whose anchor is
 * used more than this often in all is parsed whole: yaml's verdict is then the whole file's.
 */
const MAX_ANCHOR_USES_IN_PARTS = 100;
/** The services' text per part when all of a file is parsed in parts (smaller parts measured fastest here). */
const PART_BYTES = 1024;
/** After this many services parsed one at a time, the rest are parsed together: the command reads them all. */
const ONE_AT_A_TIME = 8;

/**
 * A compose file's text parsed as the loader needs it: with `services` named and a large file, those services now
 * and the others when read; else from the `cache`, in parts (parseAllInParts) or whole (yaml.ts). The text is
 * scanned for its entries at most once, whichever way it is then parsed.
 */
export function parseComposeText(text: string, displayFile: string, services: readonly string[] | undefined, cache: ComposeCache | undefined): ComposeYaml {
  let scanned: { reader: PartsReader | undefined } | undefined;
  const reader = (minBytes: number) => {
    if (text.length < minBytes) return undefined;
    scanned ??= { reader: readerFor(text, displayFile) };
    return scanned.reader;
  };
  const named = services && reader(READ_IN_PARTS_MIN_BYTES);
  if (named) return named.read(new Set(services));
  return parseComposeYaml(text, displayFile, cache, () => reader(ALL_IN_PARTS_MIN_BYTES)?.readAll());
}

/**
 * All of `text` parsed in parts of some PART_BYTES each, in file order, as the whole file would give it (the first
 * error in file order; positions found in each part, parsed again when asked); undefined when it is to be
 * parsed whole. yaml's parser keeps every token of a document until its end: a file of 5,000 services parsed
 * whole holds 150 MB and costs 0.75 s here, in parts 80 MB and 0.48 s (1,000 services: 0.35 s and 0.27 s).
 */
export function parseAllInParts(text: string, displayFile: string): ComposeYaml | undefined {
  return text.length < ALL_IN_PARTS_MIN_BYTES ? undefined : readerFor(text, displayFile)?.readAll();
}

/** A reader of `text` in parts, or undefined when it is to be parsed whole (not split for sure, …). */
function readerFor(text: string, displayFile: string): PartsReader | undefined {
  const split = splitCompose(text);
  // A file without services is parsed whole: its error ("services" must be a mapping) is the whole file's.
  if (split === undefined || split.services.length === 0) return undefined;
  const reader = new PartsReader(text, displayFile, split);
  // Every part parses the top level and the entries with anchors again: when they are much of the file, parts
  // would cost more than the whole.
  return reader.sharedBytes * 8 > text.length ? undefined : reader;
}

interface ParsedEntry {
  value: unknown;
  positions: Positions;
}

class PartsReader {
  private readonly parsed = new Map<string, ParsedEntry>();
  /**
   * A service's merge tags, added when its entry is parsed: they are read only for a service being normalised
   * (extends.ts), which has read the service first.
   */
  readonly mergeTags: MergeTags = { reset: Object.create(null), override: Object.create(null) };
  private readonly entries: Map<string, ServiceEntry>;
  private oneAtATime = 0;
  /** The whole file's positions, parsed only to locate something in a service that was never read. */
  readonly whole: PositionIndex;
  private readonly displayFile: string;
  private readonly split: ComposeSplit;
  /** The entries that may define anchors: every part has them. */
  private readonly anchored: readonly ServiceEntry[];
  /** What every part parses: the top level and the entries with anchors. */
  readonly sharedBytes: number;
  /** How often each anchor is used in what was parsed (what every part has, once), and the most. */
  private readonly anchorUses = new Map<string, number>();
  private mostAnchorUses = 0;

  constructor(text: string, displayFile: string, split: ComposeSplit) {
    this.displayFile = displayFile;
    this.split = split;
    this.entries = new Map(split.services.map((s) => [s.name, s]));
    this.whole = new PositionIndex(displayFile, () => parseYaml(text), text);
    this.anchored = split.services.filter((s) => s.anchors);
    this.sharedBytes = [...split.common, ...this.anchored].reduce((n, r) => n + r.to - r.from, 0);
  }

  /** Every service parsed now, in parts, into one document's data; undefined when an anchor is used too often. */
  readAll(): ComposeYaml | undefined {
    const target = Math.max(PART_BYTES, 4 * this.sharedBytes);
    let first: { raw: Record<string, unknown>; positions: Positions } | undefined;
    let group: ServiceEntry[] = [];
    let size = 0;
    const flush = () => {
      // Positions are found by parsing the part again, when asked: no part's document is kept.
      const part = this.parse(group, false);
      first ??= part;
      group = [];
      size = 0;
    };
    for (const s of this.split.services) {
      if (s.anchors) continue;
      group.push(s);
      size += s.to - s.from;
      if (size >= target) flush();
      if (this.mostAnchorUses > MAX_ANCHOR_USES_IN_PARTS) return undefined;
    }
    if (group.length > 0 || first === undefined) flush();
    if (this.mostAnchorUses > MAX_ANCHOR_USES_IN_PARTS) return undefined;
    const services: Record<string, unknown> = {};
    for (const s of this.split.services) services[s.name] = this.parsed.get(s.name)!.value;
    first!.raw.services = services;
    return { raw: first!.raw, mergeTags: this.mergeTags, positions: new PartsPositions(first!.positions, this) };
  }

  read(wanted: ReadonlySet<string>): ComposeYaml {
    const { raw, positions } = this.parse(this.split.services.filter((s) => wanted.has(s.name)));
    raw.services = null;
    // A `NAME: !reset` entry is no service of the file: such entries are read now, so the names (and the merge tags
    // their parse records) are the whole parse's.
    const names = this.split.services.filter((s) => !(s.resets && this.entry(s.name).value === RESET)).map((s) => s.name);
    const services: ServiceSource = { names, read: (name) => this.entry(name).value };
    return { raw, services, mergeTags: this.mergeTags, positions: new PartsPositions(positions, this) };
  }

  /** A service already parsed (undefined when it was not), without parsing it. */
  parsedEntry(name: string): ParsedEntry | undefined {
    return this.parsed.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  private entry(name: string): ParsedEntry {
    let done = this.parsed.get(name);
    if (done === undefined) {
      const next = ++this.oneAtATime > ONE_AT_A_TIME ? this.split.services.filter((s) => !this.parsed.has(s.name)) : [this.entries.get(name)!];
      this.parse(next);
      done = this.parsed.get(name)!;
    }
    return done;
  }

  /**
   * The top-level entries, `entries` and every entry that may define an anchor, parsed as one text. The part's
   * document is kept for its positions, or (`keepDocument` false) parsed again when a position is asked for.
   */
  private parse(entries: readonly ServiceEntry[], keepDocument = true): { raw: Record<string, unknown>; positions: Positions } {
    const kept = [...this.anchored, ...entries.filter((s) => !s.anchors)];
    const part = keepRanges(this.split.text, [...this.split.common, ...kept]);
    const checked = parseChecked(part.text, this.displayFile, part.lines);
    const { doc, raw } = checked;
    this.countAnchorUses(doc, this.parsed.size === 0 ? undefined : new Set(entries.map((s) => s.name)));
    const positions = keepDocument ? checked.positions : new PositionIndex(this.displayFile, () => parseYaml(part.text), part.text, part.lines);
    const tags = collectMergeTags(doc, raw);
    const services = (raw.services ?? {}) as Record<string, unknown>;
    for (const s of kept) {
      if (this.parsed.has(s.name)) continue;
      this.parsed.set(s.name, { value: services[s.name], positions });
      const reset = tags.reset[s.name];
      const override = tags.override[s.name];
      if (reset) this.mergeTags.reset[s.name] = reset;
      if (override) this.mergeTags.override[s.name] = override;
    }
    return { raw, positions };
  }

  /** Count the aliases of the services `names` in `doc` (all of it: undefined). */
  private countAnchorUses(doc: Document, names: ReadonlySet<string> | undefined): void {
    const stack: unknown[] = [];
    const services = doc.get('services', true);
    if (names === undefined) stack.push(doc.contents);
    else if (isMap(services)) for (const pair of services.items) if (isScalar(pair.key) && names.has(String(pair.key.value))) stack.push(pair.value);
    while (stack.length > 0) {
      const node = stack.pop();
      if (isAlias(node)) {
        const uses = (this.anchorUses.get(node.source) ?? 0) + 1;
        this.anchorUses.set(node.source, uses);
        if (uses > this.mostAnchorUses) this.mostAnchorUses = uses;
      } else if (isCollection(node)) stack.push(...node.items);
      else if (isPair(node)) stack.push(node.key, node.value);
    }
  }
}

/**
 * The services of a file read in parts as the loader's service map: each parsed and interpolated when first read.
 * `x-*` entries are left out (they are templates, not services) and a `!reset` service drops out, as they do from
 * a file parsed whole.
 */
export function lazyServices(source: ServiceSource, lookup: Lookup, positions: Positions): Record<string, unknown> {
  const names = source.names.filter((n) => !n.startsWith('x-'));
  return lazyMap(names, (name) => {
    const raw = source.read(name);
    return raw === RESET ? undefined : interpolateTree(raw, lookup, ['services', name], positions);
  });
}

/** Each service located in the part it was parsed in; the top level in the first part. */
class PartsPositions implements Positions {
  readonly file: string;
  private readonly first: Positions;
  private readonly reader: PartsReader;

  constructor(first: Positions, reader: PartsReader) {
    this.file = first.file;
    this.first = first;
    this.reader = reader;
  }

  locate(path: ReadonlyArray<string | number>): ReturnType<Positions['locate']> {
    const name = path[0] === 'services' ? path[1] : undefined;
    if (typeof name === 'string') {
      const done = this.reader.parsedEntry(name);
      if (done !== undefined) return done.positions.locate(path);
      if (this.reader.has(name)) return this.reader.whole.locate(path);
    }
    return this.first.locate(path);
  }
}
