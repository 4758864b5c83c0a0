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

/** The host id of container id `id`, or undefined when the mapping does not cover it. */
export function toHostId(ranges: readonly IdRange[], id: number): number | undefined {
  for (const r of ranges) if (id >= r.containerId && id < r.containerId + r.size) return r.hostId + (id - r.containerId);
  return undefined;
}

/** More than the user's own id is mapped (there are subordinate ids to chown to). */
export function hasSubordinateIds(m: IdMapping): boolean {
  const count = (ranges: readonly IdRange[]) => ranges.reduce((n, r) => n + r.size, 0);
  return count(m.uids) > 1 && count(m.gids) > 1;
}

/** The highest container id a mapping covers, for messages. */
export function mappedUpTo(ranges: readonly IdRange[]): number {
  return ranges.reduce((max, r) => Math.max(max, r.containerId + r.size - 1), -1);
}

/** `newuidmap`/`newgidmap` arguments: triples "container host size". */
export function mapArgs(ranges: readonly IdRange[]): string[] {
  return ranges.flatMap((r) => [String(r.containerId), String(r.hostId), String(r.size)]);
}
