import { z } from 'zod';
import { ALL_CAPABILITIES, normaliseCapability, sortCapabilities } from '../../src/linux/capabilities.js';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { DOCKER_DEFAULT_CAPS } from '../../presets/engines/docker.js';
import { lazyOptions } from '../options.js';

const optionsSchema = () =>
  z.strictObject({
    /** The default set before cap_add/cap_drop (docker's 14 unless a preset says otherwise). */
    defaults: z.array(z.string()).optional(),
    /**
     * Podman's rule: a non-root user keeps the caps it was explicitly given (cap_add) through exec, as
     * ambient caps. Docker (the default) gives a non-root user an empty effective/permitted set.
     */
    ambientForNonRoot: z.boolean().optional(),
  });
export type CapabilitiesOptions = z.input<ReturnType<typeof optionsSchema>>;
const checkOptions = lazyOptions('ctnr:capabilities', optionsSchema);

/**
 * `cap_add` / `cap_drop` with docker's rules (`TweakCapabilities`): `add ALL` = every cap minus drops;
 * `drop ALL` = only the adds; otherwise (defaults − drops) + adds. Names in any case, with or without `CAP_`;
 * unknown names are errors. Sets are independent and sorted by kernel number. `privileged` is not handled
 * here: the privileged stage owns it.
 */
export function capabilitiesPlugin(options: CapabilitiesOptions = {}) {
  const opts = checkOptions(options);
  const defaults = (opts.defaults ?? DOCKER_DEFAULT_CAPS).map((c) => {
    const n = normaliseCapability(c);
    if (!n || n === 'ALL') throw new Error(`ctnr:capabilities: unknown default capability "${c}"`);
    return n;
  });
  return definePlugin({
    name: 'ctnr:capabilities',
    stage: 'process',
    after: ['ctnr:user'],
    options: opts,
    apply({ service, spec, env, error, warn }) {
      // A plain loop rather than flatMap with one-element arrays: this runs for every service.
      const read = (key: 'cap_add' | 'cap_drop') => {
        const names: string[] = [];
        (service[key] ?? []).forEach((name, i) => {
          const n = normaliseCapability(name);
          if (n) names.push(n);
          else error(`unknown capability "${name}"`, [key, i]);
        });
        return names;
      };
      const add = read('cap_add');
      const drop = read('cap_drop');
      let caps: string[];
      if (add.includes('ALL')) {
        caps = ALL_CAPABILITIES.filter((c) => !drop.includes(c));
        if (env.hostCapabilities) {
          const missing = caps.filter((c) => !env.hostCapabilities!.includes(c));
          if (missing.length > 0) {
            warn(`cap_add ALL: left out ${missing.join(', ')} (not in this host's bounding set, so no runtime here could grant them)`, ['cap_add']);
            caps = caps.filter((c) => env.hostCapabilities!.includes(c));
          }
        }
      } else if (drop.includes('ALL')) {
        caps = add;
      } else {
        caps = [...defaults.filter((c) => !drop.includes(c)), ...add];
      }
      caps = sortCapabilities(caps);
      const nonRoot = (spec.process?.user.uid ?? 0) !== 0;
      // Each set its own array, keys always in this order: bounding, effective, permitted (inheritable, ambient).
      const value: Record<string, string[]> = { bounding: caps };
      if (!nonRoot) {
        value.effective = [...caps];
        value.permitted = [...caps];
      } else if (opts.ambientForNonRoot) {
        const kept = sortCapabilities(add.filter((c) => c !== 'ALL' && caps.includes(c)));
        value.effective = kept;
        value.permitted = [...kept];
        value.inheritable = [...kept];
        value.ambient = [...kept];
      } else {
        // Docker: the kernel clears effective/permitted on exec for a non-root user; say so in the spec.
        value.effective = [];
        value.permitted = [];
      }
      return [ops.set(spec, '/process/capabilities', value)];
    },
  });
}
