import type { IdMapping, IdRange } from './types.js';

/**
 * Id-mapping arithmetic for the unpacker. Kept apart from idmap.ts, which reads /etc/subuid through the
 * rootless stage's parser (and so loads the plugin machinery): the rootless unpack helper needs only this.
 */

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
