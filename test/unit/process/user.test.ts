import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testPluginYaml } from '../../helpers/engine.js';
import { GROUP, PASSWD } from '../../helpers/rootfs.js';
import { userPlugin } from '../../../plugins/process/user.js';

const rootfs = mkdtempSync(path.join(os.tmpdir(), 'ctnr-user-'));
mkdirSync(path.join(rootfs, 'etc'));
writeFileSync(path.join(rootfs, 'etc/passwd'), PASSWD + 'multi:x:1001:1001::/:/bin/sh\n# comment:x:1:1\nbroken line\n');
writeFileSync(path.join(rootfs, 'etc/group'), GROUP + 'multi:x:1001:\nstaff:x:50:multi,app\n');
afterAll(() => rmSync(rootfs, { recursive: true, force: true }));

describe('ctnr:user with a rootfs', () => {
  it.each([
    { user: undefined, group_add: undefined, expected: { uid: 0, gid: 0 } },
    { user: 'app', group_add: undefined, expected: { uid: 1000, gid: 1000, additionalGids: [29, 50] } },
    { user: '1000', group_add: undefined, expected: { uid: 1000, gid: 1000, additionalGids: [29, 50] } },
    { user: '4242', group_add: undefined, expected: { uid: 4242, gid: 0 } },
    { user: 'app:video', group_add: undefined, expected: { uid: 1000, gid: 44, additionalGids: [29, 50] } },
    { user: '1000:1234', group_add: undefined, expected: { uid: 1000, gid: 1234, additionalGids: [29, 50] } },
    { user: 'multi', group_add: ['video', 7], expected: { uid: 1001, gid: 1001, additionalGids: [50, 44, 7] } },
    { user: 'root', group_add: ['root'], expected: { uid: 0, gid: 0, additionalGids: [0] } },
  ])('user $user, group_add $group_add', async ({ user, group_add, expected }) => {
    const service: Record<string, unknown> = {};
    if (user !== undefined) service.user = user;
    if (group_add !== undefined) service.group_add = group_add;
    const r = await testPluginYaml(userPlugin(), service, { env: { rootfs } });
    expect(r.errors).toEqual([]);
    // No user and no group_add: the base spec's root user stays, unwritten.
    expect(r.ops).toEqual(user === undefined && group_add === undefined ? [] : [{ op: 'replace', path: '/process/user', value: expected }]);
    expect(r.spec!.process!.user).toEqual(expected);
  });

  it('uses the image User when the service has none', async () => {
    const r = await testPluginYaml(userPlugin(), {}, { env: { rootfs }, image: { User: 'app' } });
    expect(r.spec!.process!.user.uid).toBe(1000);
  });

  it.each([
    { service: { user: 'ghost' }, code: 'USER_NOT_FOUND', path: 'services.svc.user', msg: `user "ghost" not found in ${rootfs}/etc/passwd` },
    { service: { user: 'app:ghosts' }, code: 'GROUP_NOT_FOUND', path: 'services.svc.user', msg: `group "ghosts" not found in ${rootfs}/etc/group` },
    { service: { group_add: ['audio', 'nope'] }, code: 'GROUP_NOT_FOUND', path: 'services.svc.group_add[1]', msg: 'group "nope" not found' },
    { service: { user: '4294967295' }, code: 'SERVICE_INVALID', path: 'services.svc.user', msg: 'out of range' },
  ])('$service.user → $code', async ({ service, code, path: p, msg }) => {
    const { errors } = await testPluginYaml(userPlugin(), service, { env: { rootfs } });
    expect(errors).toMatchObject([{ code, path: p, plugin: 'ctnr:user', location: { file: 'compose.yaml' } }]);
    expect(errors[0]!.message).toContain(msg);
  });

  it('a name from the image User that is not found is an error at the service', async () => {
    const { errors } = await testPluginYaml(userPlugin(), {}, { env: { rootfs }, image: { User: 'ghost' } });
    expect(errors).toMatchObject([{ code: 'USER_NOT_FOUND', path: 'services.svc', plugin: 'ctnr:user' }]);
  });
});

describe('ctnr:user without a rootfs', () => {
  it('numeric ids work', async () => {
    const r = await testPluginYaml(userPlugin(), { user: '1000:1000', group_add: [5] });
    expect(r.spec!.process!.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [5] });
  });
  it('a name says which file it needs', async () => {
    const { errors } = await testPluginYaml(userPlugin(), { user: 'app' });
    expect(errors).toMatchObject([{ code: 'USER_NOT_FOUND', path: 'services.svc.user' }]);
    expect(errors[0]!.message).toMatch(/not found in the rootfs's \/etc\/passwd \(no rootfs given: pass --rootfs\)/);
  });
});

describe('symlinks in the rootfs stay inside it', () => {
  it('an absolute /etc/passwd symlink resolves inside the rootfs, not on the host', async () => {
    const evil = mkdtempSync(path.join(os.tmpdir(), 'ctnr-evil-'));
    mkdirSync(path.join(evil, 'etc'));
    mkdirSync(path.join(evil, 'alt'));
    writeFileSync(path.join(evil, 'alt/passwd'), 'inside:x:777:777::/:/bin/sh\n');
    symlinkSync('/alt/passwd', path.join(evil, 'etc/passwd'));
    try {
      const ok = await testPluginYaml(userPlugin(), { user: 'inside' }, { env: { rootfs: evil } });
      expect(ok.spec!.process!.user.uid).toBe(777);
      // the host's /etc/passwd has root; the container's does not
      const { errors } = await testPluginYaml(userPlugin(), { user: 'root' }, { env: { rootfs: evil } });
      expect(errors).toMatchObject([{ code: 'USER_NOT_FOUND' }]);
    } finally {
      rmSync(evil, { recursive: true, force: true });
    }
  });
});
