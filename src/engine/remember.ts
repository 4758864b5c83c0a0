/**
 * `fn` with its results remembered: for pure functions of one string that the per-service path asks the same few
 * questions again and again (pointer segments, mount destinations, capability names). At most `max` distinct
 * arguments are kept; past that it only computes, so a long-lived process asked endless different questions
 * stops remembering instead of growing.
 */
export function remembered<R>(fn: (arg: string) => R, max = 4096): (arg: string) => R {
  // Each result boxed once: one lookup answers both "seen?" and "what", undefined results included.
  const results = new Map<string, { value: R }>();
  return (arg) => {
    const hit = results.get(arg);
    if (hit !== undefined) return hit.value;
    const value = fn(arg);
    if (results.size < max) results.set(arg, { value });
    return value;
  };
}
