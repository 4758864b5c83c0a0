import type { GroupEntry, PasswdEntry } from './rootfs.js';

/** The largest valid id: (uid_t)-1 means "no change" to the kernel and must never reach the spec. */
export const MAX_ID = 4294967294;
const NUMERIC = /^\d+$/;

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Groups listing the user by name in /etc/group (not its primary group). */
  memberOf: number[];
}

export type UserProblem =
  | { kind: 'user'; name: string }
  | { kind: 'group'; name: string }
  | { kind: 'range'; id: number };

/**
 * `name`, `uid`, `name:group` or `uid:gid` resolved as docker does against a root filesystem's /etc/passwd and
 * /etc/group (read on demand by `passwd()` and `groups()`): a name must exist; a numeric uid takes the primary group
 * of its passwd entry when there is one, else gid 0; a group given by name must exist. Used for a service's `user:`
 * (plugins/process/user.ts) and for `ctnr exec -u`.
 */
export function resolveUserSpec(text: string, passwd: () => PasswdEntry[], groups: () => GroupEntry[]): ResolvedUser | UserProblem {
  const [userPart = '', groupPart] = text === '' ? ['0'] : text.split(':', 2);
  let uid: number;
  let gid = 0;
  let username: string | undefined;
  if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
    const entry = passwd().find((p) => p.uid === uid);
    if (entry) {
      gid = entry.gid;
      username = entry.name;
    }
  } else {
    const entry = passwd().find((p) => p.name === userPart);
    if (!entry) return { kind: 'user', name: userPart };
    uid = entry.uid;
    gid = entry.gid;
    username = entry.name;
  }
  if (groupPart !== undefined && groupPart !== '') {
    const g = resolveGroup(groupPart, groups);
    if (g === undefined) return { kind: 'group', name: groupPart };
    gid = g;
  }
  if (uid > MAX_ID || gid > MAX_ID) return { kind: 'range', id: Math.max(uid, gid) };
  const memberOf: number[] = [];
  if (username !== undefined) {
    for (const g of groups()) if (g.members.includes(username) && g.gid !== gid) memberOf.push(g.gid);
  }
  return { uid, gid, memberOf };
}

/** A group by number, or by name in /etc/group. */
export function resolveGroup(name: string, groups: () => GroupEntry[]): number | undefined {
  if (NUMERIC.test(name)) return Number(name);
  return groups().find((g) => g.name === name)?.gid;
}
