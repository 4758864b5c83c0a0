/*
 * Maps whose entries are computed the first time they are read: the services of a large file read in parts
 * (split-parse.ts). `Object.keys`, `Object.hasOwn` and `in` see every entry without computing it; reading one
 * (`map[name]`, `Object.entries`, a spread) computes it once, and a failing computation leaves it to fail again.
 */

const LAZY: unique symbol = Symbol('lazy entries');

/** A prototype-less map with `keys` (in that order), each computed by `compute(key)` when first read. */
export function lazyMap<T>(keys: readonly string[], compute: (key: string) => T): Record<string, T> {
  const map = Object.create(null) as Record<string, T>;
  Object.defineProperty(map, LAZY, { value: true });
  for (const key of keys) lazyEntry(map, key, () => compute(key));
  return map;
}

/** Whether `value` is a map made by lazyMap, whose entries should be copied with copyEntry, not read. */
export function isLazyMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && (value as { [LAZY]?: boolean })[LAZY] === true;
}

/**
 * `target[key]` becomes the value `compute()` gives when it is first read (from `target`, or from any map the
 * entry is copied into: all of them share one computation). With `dropUndefined`, an entry whose value is
 * undefined is removed instead (a table looked up by name: `Object.hasOwn` then answers as for a plain table).
 */
export function lazyEntry<T>(target: Record<string, T>, key: string, compute: () => T, { enumerable = true, dropUndefined = false } = {}): void {
  let done = false;
  let value: T;
  Object.defineProperty(target, key, {
    enumerable,
    configurable: true,
    get(this: Record<string, T>) {
      if (!done) {
        value = compute();
        done = true;
      }
      if (dropUndefined && value === undefined) delete this[key];
      else Object.defineProperty(this, key, { value, writable: true, enumerable, configurable: true });
      return value;
    },
    set(this: Record<string, T>, v: T) {
      Object.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
    },
  });
  if (!isLazyMap(target)) Object.defineProperty(target, LAZY, { value: true });
}

/** `to[key]` as `from[key]` is, without computing it when it is still lazy. */
export function copyEntry(to: Record<string, unknown>, from: Record<string, unknown>, key: string): void {
  const own = Object.getOwnPropertyDescriptor(from, key);
  if (own === undefined) return;
  if (own.get !== undefined && !isLazyMap(to)) Object.defineProperty(to, LAZY, { value: true });
  Object.defineProperty(to, key, own);
}
