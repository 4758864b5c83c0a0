import path from 'node:path';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { readGroup, readPasswd, type GroupEntry, type PasswdEntry } from '../../src/linux/rootfs.js';

/** The largest valid id: (uid_t)-1 means "no change" to the kernel and must never reach the spec. */
const MAX_ID = 4294967294;
const NUMERIC = /^\d+$/;

/**
 * `user` (`name`, `uid`, `name:group`, `uid:gid`; else the image's User) and `group_add` → `process.user`.
 * Names resolve against `<rootfs>/etc/passwd` and `/etc/group` like docker: a numeric uid missing from
 * passwd gets gid 0; supplementary groups come from group membership, then `group_add`.
 */
export function userPlugin() {
  return definePlugin({
    name: 'ctnr:user',
    stage: 'process',
    apply({ service, image, spec, env, error }) {
      const fromService = service.user !== undefined;
      const spec_ = (fromService ? service.user : image?.User)?.trim() ?? '';
      const groupAdd = service.group_add ?? [];
      if (spec_ === '' && groupAdd.length === 0) return [];
      const where = fromService ? ['user'] : [];
      const rootfs = env.rootfs;
      const fileIn = (f: string) => (rootfs ? path.join(rootfs, f) : `the rootfs's ${f} (no rootfs given: pass --rootfs)`);
      let passwd: PasswdEntry[] | undefined;
      let groups: GroupEntry[] | undefined;
      const loadPasswd = () => (passwd ??= rootfs ? readPasswd(rootfs) ?? [] : []);
      const loadGroups = () => (groups ??= rootfs ? readGroup(rootfs) ?? [] : []);

      const [userPart = '', groupPart] = spec_ === '' ? ['0'] : spec_.split(':', 2);
      let uid: number;
      let gid = 0;
      let username: string | undefined;
      if (NUMERIC.test(userPart)) {
        uid = Number(userPart);
        const entry = loadPasswd().find((p) => p.uid === uid);
        if (entry) {
          gid = entry.gid;
          username = entry.name;
        }
      } else {
        const entry = loadPasswd().find((p) => p.name === userPart);
        if (!entry) {
          error(`user "${userPart}" not found in ${fileIn('/etc/passwd')}`, where, 'USER_NOT_FOUND');
          return [];
        }
        uid = entry.uid;
        gid = entry.gid;
        username = entry.name;
      }
      if (groupPart !== undefined && groupPart !== '') {
        const g = resolveGroup(groupPart, loadGroups);
        if (g === undefined) {
          error(`group "${groupPart}" not found in ${fileIn('/etc/group')}`, where, 'GROUP_NOT_FOUND');
          return [];
        }
        gid = g;
      }
      if (uid > MAX_ID || gid > MAX_ID) {
        error(`id ${Math.max(uid, gid)} is out of range (max ${MAX_ID})`, where);
        return [];
      }

      const extra: number[] = [];
      if (username !== undefined) {
        for (const g of loadGroups()) if (g.members.includes(username) && g.gid !== gid) extra.push(g.gid);
      }
      groupAdd.forEach((g, i) => {
        const id = resolveGroup(g, loadGroups);
        if (id === undefined) error(`group "${g}" not found in ${fileIn('/etc/group')}`, ['group_add', i], 'GROUP_NOT_FOUND');
        else if (id > MAX_ID) error(`gid ${id} is out of range`, ['group_add', i]);
        else extra.push(id);
      });
      const additionalGids = extra.length > 0 ? [...new Set(extra)] : extra;
      const user: { uid: number; gid: number; additionalGids?: number[] } = { uid, gid };
      if (additionalGids.length > 0) user.additionalGids = additionalGids;
      return [ops.set(spec, '/process/user', user)];
    },
  });
}

function resolveGroup(name: string, load: () => GroupEntry[]): number | undefined {
  if (NUMERIC.test(name)) return Number(name);
  return load().find((g) => g.name === name)?.gid;
}
