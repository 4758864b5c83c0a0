/**
 * Read-only views of the working document for plugins from outside ctnr: `ctx.spec` reads like the spec
 * itself, but every write through it (set, delete, defineProperty, setPrototypeOf, preventExtensions — so also
 * `push`, `sort`, `Object.assign`) throws a TypeError and is reported to the engine, which fails the plugin by
 * name even when the plugin catches the error. The document itself stays a plain object, patched in place.
 *
 * One view per object, created on first read and remembered for the run: `spec.process === spec.process`.
 */
export interface ViewSet {
  /** The read-only view of `value` (values that are not objects are returned as they are). */
  view<T>(value: T): T;
}

/**
 * `label` names what is read-only in the message (`ctx.spec`). Only plain objects and arrays get views: JSON data
 * is what the spec and a service are made of, and a Map or a class instance (in `env.extra`, say) would stop working
 * behind a proxy, whose methods need the object itself.
 */
export function createViews(onWrite: (what: string) => void, label = 'ctx.spec'): ViewSet {
  const cache = new WeakMap<object, object>();
  const view = (value: any): any => {
    if (value === null || typeof value !== 'object' || !isPlainData(value)) return value;
    const known = cache.get(value);
    if (known !== undefined) return known;
    const p = new Proxy(value, handler);
    cache.set(value, p);
    return p;
  };
  const refuse = (what: string, key: PropertyKey): never => {
    const message = `${label} is read-only: ${what} ${JSON.stringify(String(key))}`;
    onWrite(message);
    throw new TypeError(message);
  };
  const handler: ProxyHandler<any> = {
    get(target, key) {
      const v = target[key];
      return v !== null && typeof v === 'object' ? view(v) : v;
    },
    // Object.getOwnPropertyDescriptor(view, k).value must not hand out the object itself.
    getOwnPropertyDescriptor(target, key) {
      const d = Reflect.getOwnPropertyDescriptor(target, key);
      if (d !== undefined && d.value !== null && typeof d.value === 'object') d.value = view(d.value);
      return d;
    },
    set: (_t, key) => refuse('cannot set', key),
    deleteProperty: (_t, key) => refuse('cannot delete', key),
    defineProperty: (_t, key) => refuse('cannot define', key),
    setPrototypeOf: () => refuse('cannot change the prototype of', 'an object'),
    preventExtensions: () => refuse('cannot freeze or seal', 'an object'),
  };
  return { view };
}

function isPlainData(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A read-only face of a Map: reads go through (values as views); `set`, `delete` and `clear` are reported to the
 * engine and throw, like a write through a view. A proxy cannot do this for a Map, whose methods need the Map itself.
 */
export function readonlyMap<K, V>(map: ReadonlyMap<K, V>, views: ViewSet, label: string, onWrite: (what: string) => void): ReadonlyMap<K, V> {
  const refuse = (what: string) => () => {
    const message = `${label} is read-only: cannot ${what}`;
    onWrite(message);
    throw new TypeError(message);
  };
  const face: ReadonlyMap<K, V> & Record<'set' | 'delete' | 'clear', () => never> = {
    set: refuse('set an entry'),
    delete: refuse('delete an entry'),
    clear: refuse('clear it'),
    get: (key) => views.view(map.get(key)),
    has: (key) => map.has(key),
    get size() {
      return map.size;
    },
    forEach: (fn, thisArg) => map.forEach((v, k) => fn.call(thisArg, views.view(v), k, face)),
    keys: () => map.keys(),
    values: () => [...map.values()].map((v) => views.view(v)).values(),
    entries: () => [...map.entries()].map(([k, v]) => [k, views.view(v)] as [K, V]).values(),
    [Symbol.iterator]: () => face.entries(),
  };
  return Object.freeze(face);
}
