/*
 * Maps whose entries are computed the first time they are read: the services of a large file read in parts
 * (split-parse.ts). `Object.keys`, `Object.hasOwn` and `in` see every entry without computing it; reading one
 * (`map[name]`, `Object.entries`, a spread) computes it once, and a failing computation leaves it to fail again.
 */

const LAZY: unique symbol = Symbol('lazy entries');

/**
 * A prototype-less map with `keys` (in that order), each computed by `compute(key)` when first read. An entry
 * computed as undefined is removed (as an entry whose value is dropped would not be in the map).
 */
export function lazyMap<T>(keys: readonly string[], compute: (key: string) => T | undefined): Record<string, T> {
  const map = Object.create(null) as Record<string, T>;
  Object.defineProperty(map, LAZY, { value: true });
  for (const key of keys) {
    Object.defineProperty(map, key, {
      enumerable: true,
      configurable: true,
      get(this: Record<string, T>) {
        const value = compute(key);
        if (value === undefined) delete this[key];
        else Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
        return value;
      },
      set(this: Record<string, T>, value: T) {
        Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
      },
    });
  }
  return map;
}

/** Whether `value` is a map made by lazyMap (its entries are not to be read just to be copied). */
export function isLazyMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && (value as { [LAZY]?: boolean })[LAZY] === true;
}
