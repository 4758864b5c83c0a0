import type { Service } from '../engine/service.js';

/**
 * The `extensions` of the `Service` contract: the loader keeps a service's `x-*` keys on the object while it
 * merges `extends` (so they merge, `!reset` and `!override` like any other key), then moves them here, by their
 * own names and with their values as written (compose does not interpolate `x-*` subtrees). The schema lets
 * `x-*` keys through and the key policy refuses any other unknown key, so from a compose file `extensions`
 * holds only `x-*` keys. No `extensions` is set when there are none.
 */
export function moveExtensions(service: Service): void {
  const own = service as Record<string, unknown>;
  const keys = Object.keys(own).filter((k) => k.startsWith('x-'));
  if (keys.length === 0) return;
  const extensions: Record<string, unknown> = Object.assign(Object.create(null), service.extensions);
  for (const k of keys) {
    extensions[k] = own[k];
    delete own[k];
  }
  service.extensions = extensions;
}
