import type { Lookup } from './interpolate.js';
import { interpolateTree } from './interpolate-tree.js';
import { lazyMap } from './lazy-map.js';
import { PositionIndex, type Positions } from './positions.js';
import { keepRanges, splitCompose, type ComposeSplit, type ServiceEntry } from './split.js';
import { collectMergeTags, parseChecked, parseYaml, RESET, type ComposeYaml, type MergeTags, type ServiceSource } from './yaml.js';

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

/** Files smaller than this are parsed whole (in some 50 ms at most here), with the parse cache. */
export const READ_IN_PARTS_MIN_BYTES = 128 * 1024;
/** After this many services parsed one at a time, the rest are parsed together: the command reads them all. */
const ONE_AT_A_TIME = 8;

/** `text` with `wanted` services parsed now and the others when read; undefined when it is to be parsed whole. */
export function parseInParts(text: string, displayFile: string, wanted: readonly string[]): ComposeYaml | false | undefined {
  if (text.length < READ_IN_PARTS_MIN_BYTES) return undefined;
  const split = splitCompose(text);
  // A file without services is parsed whole: its error ("services" must be a mapping) is the whole file's.
  return split && split.services.length > 0 && new PartsReader(text, displayFile, split).read(new Set(wanted));
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

  constructor(text: string, displayFile: string, split: ComposeSplit) {
    this.displayFile = displayFile;
    this.split = split;
    this.entries = new Map(split.services.map((s) => [s.name, s]));
    this.whole = new PositionIndex(displayFile, () => parseYaml(text), text);
  }

  read(wanted: ReadonlySet<string>): ComposeYaml {
    const { raw, positions } = this.parse(this.split.services.filter((s) => wanted.has(s.name)));
    raw.services = null;
    const services: ServiceSource = { names: this.split.services.map((s) => s.name), read: (name) => this.entry(name).value };
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

  /** The top-level entries, `entries` and every entry that may define an anchor, parsed as one text. */
  private parse(entries: readonly ServiceEntry[]): { raw: Record<string, unknown>; positions: Positions } {
    const chosen = new Set(entries);
    const kept = this.split.services.filter((s) => s.anchors || chosen.has(s));
    const part = keepRanges(this.split.text, [...this.split.common, ...kept]);
    const { doc, raw, positions } = parseChecked(part.text, this.displayFile, part.lines);
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
