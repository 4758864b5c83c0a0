import { describe, expect, it } from 'vitest';
import { REGISTERED } from '../../../plugins/options.js';
import { BUILTIN_PRESETS } from '../../../presets/index.js';
import '../../../plugins/policy/restricted.js';

/**
 * plugins/options.ts skips a plugin's option schema when there are no options, answering `{}` itself: that holds
 * only while each schema makes `{}` of `{}` (optional keys, no defaults, no transforms that add keys).
 */
describe('plugin options checked on first use', () => {
  it('the factories of the default preset registered their schemas', () => {
    expect(BUILTIN_PRESETS).toBeDefined();
    const names = REGISTERED.map((r) => r.plugin);
    for (const n of ['ctnr:init', 'ctnr:capabilities', 'ctnr:rootless', 'ctnr:privileged', 'ctnr:cgroup-mount', 'ctnr:sysctls', 'ctnr:network-hook', 'ctnr:policy-restricted']) expect(names).toContain(n);
  });

  it.each(REGISTERED.map((r) => [r.plugin, r] as const))('%s: the schema makes {} of no options, as the shortcut does', (_name, r) => {
    const parsed = r.build().safeParse({});
    expect(parsed.success).toBe(true);
    expect(Reflect.ownKeys(parsed.data as object)).toEqual([]);
    expect(Object.getPrototypeOf(parsed.data)).toBe(Object.prototype);
  });
});
