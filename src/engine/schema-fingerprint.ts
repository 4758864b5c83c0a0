/*
 * Fingerprints of zod schemas, for the fast paths that mirror a schema by hand (src/compose/fast-service.ts,
 * src/config/fast-config.ts): each records the fingerprint of the schema it was written for and steps aside when
 * the schema no longer has it, so a changed schema is decided by zod until its fast path is brought up to date.
 */

interface Def {
  type: string;
  checks?: Array<{ _zod: { def: Record<string, unknown> } }>;
  innerType?: unknown;
  element?: unknown;
  options?: unknown[];
  in?: unknown;
  out?: unknown;
  entries?: Record<string, unknown>;
  values?: unknown[];
  shape?: Record<string, unknown>;
  catchall?: unknown;
  keyType?: unknown;
  valueType?: unknown;
  getter?: () => unknown;
}

/** A schema's own rendering, for schemas whose structure zod's definition does not show (compose's userMap). */
export type SpecialFingerprint = (schema: unknown, fingerprint: (schema: unknown) => string) => string | undefined;

/**
 * A zod schema's structure as text: its types, unions, pipes, optional and nullable wrappers, object keys, enum and
 * literal values, what a lazy schema stands for (a schema met again inside itself is `recursive`), and its checks
 * with their parameters. Transforms and refinements are only named (their code is not), so a fast path that
 * mirrors a schema also mirrors what they do, and its tests compare it with zod. `special` renders schemas zod's
 * definition does not describe (compose's userMap).
 */
export function schemaFingerprint(schema: unknown, special?: SpecialFingerprint, seen: Set<unknown> = new Set()): string {
  const d = (schema as { _zod: { def: Def } })._zod.def;
  const checks = d.checks?.length
    ? `[${d.checks
        .map((c) => {
          const { check, ...rest } = c._zod.def;
          const params = Object.entries(rest)
            .filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
            .map(([k, v]) => `${k}=${String(v)}`);
          return [check, ...params].join(':');
        })
        .join(',')}]`
    : '';
  const f = (inner: unknown): string => schemaFingerprint(inner, special, seen);
  const own = special?.(schema, f);
  if (own !== undefined) return `${own}${checks}`;
  switch (d.type) {
    case 'lazy': {
      if (seen.has(schema)) return 'recursive';
      seen.add(schema);
      const inner = f(d.getter!());
      seen.delete(schema);
      return `lazy(${inner})${checks}`;
    }
    case 'optional':
    case 'nullable':
      return `${d.type}(${f(d.innerType)})${checks}`;
    case 'array':
      return `array(${f(d.element)})${checks}`;
    case 'union':
      return `union(${d.options!.map(f).join(',')})${checks}`;
    case 'pipe':
      return `pipe(${f(d.in)},${f(d.out)})${checks}`;
    case 'enum':
      return `enum(${Object.values(d.entries!).join('|')})${checks}`;
    case 'literal':
      return `literal(${d.values!.map(String).join('|')})${checks}`;
    case 'object':
      return `object(${Object.keys(d.shape!).map((k) => `${k}:${f(d.shape![k])}`).join(',')}${d.catchall ? `,*:${f(d.catchall)}` : ''})${checks}`;
    case 'record':
      return `record(${f(d.keyType)},${f(d.valueType)})${checks}`;
    default:
      return `${d.type}${checks}`;
  }
}

/** FNV-1a, 32 bits, as 8 hex digits. */
export function fingerprintHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** A fast path's answer: the schema's keys in its order, and the keys whose hand-written path still mirrors the key's schema. */
export interface FastPathCheck {
  shapeKeys: string[];
  fastKeys: string[];
}

/** A fast path's entries: a key of the schema, its hand-written converter, and the hash of the key's schema it mirrors. */
export type FastPathEntries<F> = ReadonlyArray<readonly [string, F, string]>;

/**
 * Which entries still mirror their key's schema in `shape`: the hash of its fingerprint (with `special`) is the
 * one recorded, and `same` (a further condition, e.g. that the key still uses a shared schema) holds.
 */
export function checkFastPath<F>(
  shape: Readonly<Record<string, unknown>>,
  entries: FastPathEntries<F>,
  special?: SpecialFingerprint,
  same: (key: string, schema: unknown) => boolean = () => true,
): FastPathCheck {
  const fastKeys = entries
    .filter(([key, , hash]) => Object.hasOwn(shape, key) && same(key, shape[key]) && fingerprintHash(schemaFingerprint(shape[key], special)) === hash)
    .map(([key]) => key);
  return { shapeKeys: Object.keys(shape), fastKeys };
}

/** The entries in use, by key, with the key's place in the shape (zod's output follows the shape's key order). */
export function fastPathTable<F>(answer: FastPathCheck, entries: FastPathEntries<F>): Map<string, { convert: F; index: number }> {
  const table = new Map<string, { convert: F; index: number }>();
  for (const [key, convert] of entries) {
    const index = answer.shapeKeys.indexOf(key);
    if (index >= 0 && answer.fastKeys.includes(key)) table.set(key, { convert, index });
  }
  return table;
}
