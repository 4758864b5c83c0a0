/**
 * A value with its structure made visible, for comparing a fast path with zod: arrays, objects with their
 * prototype and key order, numbers by Object.is (toEqual alone ignores key order and prototypes).
 */
export function canon(v: unknown): unknown {
  if (Array.isArray(v)) return { array: v.map(canon) };
  if (v !== null && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    return { proto: proto === null ? 'null' : proto === Object.prototype ? 'Object' : String(proto?.constructor?.name), entries: Object.keys(v).map((k) => [k, canon((v as Record<string, unknown>)[k])]) };
  }
  return v;
}
