import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';
import { GROUP, PASSWD } from '../../helpers/rootfs.js';

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
    expect((await runServiceYaml(service, { env: { rootfs } })).spec.process!.user).toEqual(expected);
  });

  it('uses the image User when the service has none', async () => {
    expect((await runServiceYaml({}, { env: { rootfs }, image: { User: 'app' } })).spec.process!.user.uid).toBe(1000);
  });

  it.each([
    { service: { user: 'ghost' }, code: 'USER_NOT_FOUND', path: 'services.svc.user', msg: `user "ghost" not found in ${rootfs}/etc/passwd` },
    { service: { user: 'app:ghosts' }, code: 'GROUP_NOT_FOUND', path: 'services.svc.user', msg: `group "ghosts" not found in ${rootfs}/etc/group` },
    { service: { group_add: ['audio', 'nope'] }, code: 'GROUP_NOT_FOUND', path: 'services.svc.group_add[1]', msg: 'group "nope" not found' },
    { service: { user: '4294967295' }, code: 'SERVICE_INVALID', path: 'services.svc.user', msg: 'out of range' },
  ])('$service.user → $code', async ({ service, code, path: p, msg }) => {
    const err = await serviceError(service, { env: { rootfs } });
    expect(err.code).toBe(code);
    expect(err.path).toBe(p);
    expect(err.message).toContain(msg);
    expect(err.plugin).toBe('ctnr:user');
  });
});

describe('ctnr:user without a rootfs', () => {
  it('numeric ids work', async () => {
    expect((await runServiceYaml({ user: '1000:1000', group_add: [5] })).spec.process!.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [5] });
  });
  it('a name says which file it needs', async () => {
    const err = await serviceError({ user: 'app' });
    expect(err.message).toMatch(/not found in the rootfs's \/etc\/passwd \(no rootfs given: pass --rootfs\)/);
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
      expect((await runServiceYaml({ user: 'inside' }, { env: { rootfs: evil } })).spec.process!.user.uid).toBe(777);
      // the host's /etc/passwd has root; the container's does not
      const err = await serviceError({ user: 'root' }, { env: { rootfs: evil } });
      expect(err.code).toBe('USER_NOT_FOUND');
    } finally {
      rmSync(evil, { recursive: true, force: true });
    }
  });
});
