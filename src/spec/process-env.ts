/**
 * A process's `env` (KEY=VALUE entries) with `over` laid on it, as docker lays an exec's or a hook's environment
 * over the container's: a key given again moves to the end with its new value, and one given `undefined` is
 * removed (`-e KEY`, or a hook's `KEY`, with no value to take).
 */
export function overlayEnv(base: readonly string[] | undefined, over: Iterable<readonly [string, string | undefined]>): string[] {
  const vars = new Map<string, string>();
  for (const kv of base ?? []) {
    const eq = kv.indexOf('=');
    vars.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? '' : kv.slice(eq + 1));
  }
  for (const [k, v] of over) {
    vars.delete(k);
    if (v !== undefined) vars.set(k, v);
  }
  return [...vars].map(([k, v]) => `${k}=${v}`);
}
