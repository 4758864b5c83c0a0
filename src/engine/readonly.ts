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

export function createViews(onWrite: (what: string) => void): ViewSet {
  const cache = new WeakMap<object, object>();
  const view = (value: any): any => {
    if (value === null || typeof value !== 'object') return value;
    const known = cache.get(value);
    if (known !== undefined) return known;
    const p = new Proxy(value, handler);
    cache.set(value, p);
    return p;
  };
  const refuse = (what: string, key: PropertyKey): never => {
    const message = `ctx.spec is read-only: ${what} ${JSON.stringify(String(key))}`;
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
