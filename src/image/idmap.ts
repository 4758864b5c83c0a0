import { readSubordinateRanges } from '../../plugins/rootless.js';
import type { IdMapping, IdRange } from './types.js';

/**
 * Rootless ownership of unpacked layers. The mapping is the one the rootless stage writes into the bundle
 * (plugins/rootless.ts): container id 0 is the user's own id, container ids 1… are the user's subordinate
 * ranges from /etc/subuid and /etc/subgid, packed in file order. Files unpacked through it carry the host ids
 * the container will see as the image's ids.
 */
export function rootlessIdMapping(user: { uid: number; gid: number; name?: string | undefined }, subuidText: string, subgidText: string): IdMapping {
  const names = user.name ? [user.name, String(user.uid)] : [String(user.uid)];
  let uidRanges = readSubordinateRanges(subuidText, names);
  let gidRanges = readSubordinateRanges(subgidText, names);
  // As the rootless stage: half a mapping is worse than none.
  if (uidRanges.length === 0 || gidRanges.length === 0) uidRanges = gidRanges = [];
  const pack = (own: number, ranges: typeof uidRanges): IdRange[] => {
    const out: IdRange[] = [{ containerId: 0, hostId: own, size: 1 }];
    let next = 1;
    for (const r of ranges) {
      out.push({ containerId: next, hostId: r.start, size: r.count });
      next += r.count;
    }
    return out;
  };
  return { uids: pack(user.uid, uidRanges), gids: pack(user.gid, gidRanges) };
}

export { hasSubordinateIds, mapArgs, mappedUpTo, toHostId } from './unpack-ids.js';
