import type { DeepReadonly, DeviceRule } from '../../src/spec/types.js';

/** Does the rule list already end up allowing every device (privileged)? Then more allow rules add nothing. */
export function allowsAllDevices(rules: ReadonlyArray<DeepReadonly<DeviceRule>> | undefined): boolean {
  let all = false;
  for (const r of rules ?? []) {
    const everything = (r.type === undefined || r.type === 'a') && r.major === undefined && r.minor === undefined;
    if (!everything) continue;
    const access = r.access ?? 'rwm';
    all = r.allow && ['r', 'w', 'm'].every((c) => access.includes(c));
  }
  return all;
}
