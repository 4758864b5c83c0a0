import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { readSubordinateRanges } from '../../plugins/rootless/rootless.js';
import type { IdMapping, IdRange } from './types.js';

/**
 * Rootless ownership of unpacked layers. The mapping is the one the rootless stage writes into the bundle
 * (plugins/rootless/rootless.ts): container id 0 is the user's own id, container ids 1… are the user's subordinate
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

/** The mapping for the user running ctnr, from /etc/subuid and /etc/subgid (files missing: only its own id). */
export function currentUserIdMapping(files: { subuid?: string; subgid?: string } = {}): IdMapping {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = undefined;
  }
  return rootlessIdMapping({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, name }, read(files.subuid ?? '/etc/subuid'), read(files.subgid ?? '/etc/subgid'));
}
