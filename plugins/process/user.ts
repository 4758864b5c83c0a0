import path from 'node:path';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { readGroup, readPasswd, type GroupEntry, type PasswdEntry } from '../../src/linux/rootfs.js';
import { MAX_ID, resolveGroup, resolveUserSpec } from '../../src/linux/user-spec.js';

/**
 * `user` (`name`, `uid`, `name:group`, `uid:gid`; else the image's User) and `group_add` → `process.user`.
 * Names resolve against `<rootfs>/etc/passwd` and `/etc/group` like docker (src/linux/user-spec.ts);
 * supplementary groups come from group membership, then `group_add`.
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

      const resolved = resolveUserSpec(spec_, loadPasswd, loadGroups);
      if ('kind' in resolved) {
        if (resolved.kind === 'user') error(`user "${resolved.name}" not found in ${fileIn('/etc/passwd')}`, where, 'USER_NOT_FOUND');
        else if (resolved.kind === 'group') error(`group "${resolved.name}" not found in ${fileIn('/etc/group')}`, where, 'GROUP_NOT_FOUND');
        else error(`id ${resolved.id} is out of range (max ${MAX_ID})`, where);
        return [];
      }
      const { uid, gid } = resolved;
      const extra: number[] = [...resolved.memberOf];
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
