import { isMap, isPair, isScalar, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document, type Tags } from 'yaml';
import { CtnrError } from '../engine/errors.js';
import { MAX_SCALAR_BYTES } from './bounds.js';
import { checkNodes } from './duplicates.js';
import { PositionIndex, type Positions } from './positions.js';
import { LEGACY_OCTAL } from '../linux/yaml-octal.js';

/**
 * Compose's merge tags: `!reset` removes a value (also one inherited through `extends`), `!override`
 * replaces an inherited value instead of merging with it. `!reset` values become this marker.
 */
export const RESET: object = Object.freeze({ reset: true });
const COMPOSE_TAGS: Tags = [
  { tag: '!reset', identify: () => false, resolve: () => new Scalar(RESET) },
  { tag: '!reset', collection: 'seq', nodeClass: YAMLSeq, identify: () => false, resolve: () => new Scalar(RESET) },
  { tag: '!reset', collection: 'map', nodeClass: YAMLMap, identify: () => false, resolve: () => new Scalar(RESET) },
  { tag: '!override', identify: () => false, resolve: (v: string) => v },
  { tag: '!override', collection: 'seq', nodeClass: YAMLSeq, identify: () => false, resolve: (n: YAMLSeq) => n },
  { tag: '!override', collection: 'map', nodeClass: YAMLMap, identify: () => false, resolve: (n: YAMLMap) => n },
] as unknown as Tags;


/** Service keys tagged `!reset` / `!override`, per service name. */
export interface MergeTags {
  reset: Record<string, string[]>;
  override: Record<string, string[]>;
}

export function collectMergeTags(doc: Document, raw: Record<string, unknown>): MergeTags {
  const out: MergeTags = { reset: Object.create(null), override: Object.create(null) };
  const services = raw.services;
  if (services && typeof services === 'object') {
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== 'object' || Array.isArray(svc)) continue;
      const reset = Object.entries(svc).filter(([, v]) => v === RESET).map(([k]) => k);
      if (reset.length > 0) out.reset[name] = reset;
    }
  }
  const node = doc.get('services', true);
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key) || !isMap(pair.value)) continue;
      const keys = pair.value.items.filter((p) => isPair(p) && isScalar(p.key) && (p.value as { tag?: string } | null)?.tag === '!override').map((p) => String((p.key as Scalar).value));
      if (keys.length > 0) out.override[String(pair.key.value)] = keys;
    }
  }
  return out;
}

/** Parsed files kept between runs: the loader's side of src/compose/parse-cache.ts (which implements it). */
export interface ComposeCache {
  get(text: string): ParsedCompose | undefined;
  set(text: string, parsed: ParsedCompose): void;
}

/** A compose file as parsed, before interpolation: what a cache keeps. */
export interface ParsedCompose {
  raw: Record<string, unknown>;
  mergeTags: MergeTags;
}

/** What a key of a compose file looks like; anything else is not echoed in errors (it may be a secret's text). */
export const KEY_LIKE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function showKey(key: string): string {
  return KEY_LIKE.test(key) ? `"${key}"` : '(a key that is not shown: it does not look like a compose key)';
}

/** A compose file's YAML, parsed and bounded: a mapping, where each key and item was written, its merge tags. */
export interface ComposeYaml {
  /** The document as plain data (`!reset` values are the RESET marker; nothing interpolated yet). */
  raw: Record<string, unknown>;
  positions: Positions;
  mergeTags: MergeTags;
  /** A file read in parts (split-parse.ts): its services, each parsed when read; `raw.services` is then null. */
  services?: ServiceSource;
}

/** The services of a file read in parts: their names in file order, and each one's raw value, parsed on demand. */
export interface ServiceSource {
  names: readonly string[];
  read(name: string): unknown;
}

/**
 * Parse a compose file's text: YAML errors, duplicate keys, oversized values, alias bombs and a document that is
 * not a mapping are COMPOSE_INVALID at their line and column in `displayFile`. Positions of keys are not
 * computed here: `positions` finds them in the parsed document when an error or a warning asks. With a `cache`
 * (src/compose/parse-cache.ts), a text parsed before is not parsed again unless a position is asked for.
 * `inParts` may parse the text another way (a large file in parts, split-parse.ts), or answer undefined.
 */
export function parseComposeYaml(text: string, displayFile: string, cache?: ComposeCache, inParts?: (text: string, displayFile: string) => ComposeYaml | undefined): ComposeYaml {
  const kept = cache?.get(text);
  if (kept) return { ...kept, positions: new PositionIndex(displayFile, () => parseYaml(text), text) };
  const parsed = inParts?.(text, displayFile) ?? parseWhole(text, displayFile);
  cache?.set(text, { raw: parsed.raw, mergeTags: parsed.mergeTags });
  return parsed;
}

function parseWhole(text: string, displayFile: string): ComposeYaml {
  const { doc, raw, positions } = parseChecked(text, displayFile);
  return { raw, mergeTags: collectMergeTags(doc, raw), positions };
}

/**
 * `text` parsed and checked (yaml's errors, duplicate keys, oversized values, alias bombs, a document that is not a
 * mapping: COMPOSE_INVALID at their line and column in `displayFile`), as a document, as data, and its positions.
 * `fileLines`: the file's line of each line of `text`, when `text` is some of the file's lines.
 */
export function parseChecked(text: string, displayFile: string, fileLines?: readonly number[]): { doc: Document; raw: Record<string, unknown>; positions: PositionIndex } {
  const doc = parseYaml(text);
  const positions = new PositionIndex(displayFile, doc, text, fileLines);
  const at = (offset: number) => ({ file: displayFile, ...positions.linePos(offset) });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new CtnrError('COMPOSE_INVALID', e.message.split('\n')[0]!, { location: at(e.pos[0]) });
  }
  const { duplicate, oversized } = checkNodes(doc);
  if (duplicate) {
    // yaml's message does not say which key; the key as written does (only when it looks like a key: the file
    // may not be a compose file at all, and its text is not echoed).
    throw new CtnrError('COMPOSE_INVALID', `duplicate key ${showKey(String(duplicate.value))} (a key may appear once per mapping)`, { location: at(duplicate.range![0]) });
  }
  if (oversized) {
    throw new CtnrError('COMPOSE_INVALID', `a value of ${String(oversized.value).length} characters; ctnr accepts at most ${MAX_SCALAR_BYTES / 1024} KiB per value (the kernel takes at most 128 KiB per argument or environment string)`, {
      location: at(oversized.range![0]),
    });
  }
  let raw: unknown;
  try {
    // maxAliasCount stops alias bombs before anything walks the document.
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new CtnrError('COMPOSE_INVALID', (err as Error).message, { location: { file: displayFile } });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CtnrError('COMPOSE_INVALID', 'a compose file must be a mapping with a "services" key', { location: { file: displayFile, line: 1, col: 1 } });
  }
  return { doc, raw: raw as Record<string, unknown>, positions };
}

/** The document as yaml parses it, with compose's tags; the same for positions found later. */
export function parseYaml(text: string): Document {
  // uniqueKeys: false — yaml's own check is quadratic; checkNodes does the same check in linear time.
  return withPlainEnv(() =>
    parseDocument(text, { merge: true, prettyErrors: false, uniqueKeys: false, customTags: (tags) => [LEGACY_OCTAL, ...tags, ...COMPOSE_TAGS] }),
  );
}

/**
 * `fn()` with `process.env` a plain object holding only the variables yaml reads (its debug switches). yaml's
 * parser reads `process.env.LOG_TOKENS` once per token, 250,000 times for a file of 5,000 services, and Node
 * answers every read from the C environment: a sixth of the parse. `fn` is synchronous, so nothing else runs
 * before the real environment is back.
 */
function withPlainEnv<T>(fn: () => T): T {
  const env = process.env;
  const own = Object.getOwnPropertyDescriptor(process, 'env');
  if (!own?.writable) return fn();
  process.env = { LOG_TOKENS: env.LOG_TOKENS, LOG_STREAM: env.LOG_STREAM };
  try {
    return fn();
  } finally {
    process.env = env;
  }
}
