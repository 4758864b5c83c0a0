import { describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';

describe('ctnr:rlimits', () => {
  it.each([
    { ulimits: { nofile: 1024 }, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }] },
    { ulimits: { nproc: { soft: 10, hard: 20 }, nofile: { soft: 5, hard: 6 } }, rlimits: [{ type: 'RLIMIT_NPROC', soft: 10, hard: 20 }, { type: 'RLIMIT_NOFILE', soft: 5, hard: 6 }] },
  ])('$ulimits', async ({ ulimits, rlimits }) => {
    expect((await runServiceYaml({ ulimits })).spec.process!.rlimits).toEqual(rlimits);
  });

  it.each([
    { ulimits: { nofiles: 10 }, path: 'services.svc.ulimits.nofiles', msg: /unknown ulimit "nofiles"/ },
    { ulimits: { nofile: { soft: 20, hard: 10 } }, path: 'services.svc.ulimits.nofile', msg: /soft limit 20 is above hard limit 10/ },
    { ulimits: { memlock: -1 }, path: 'services.svc.ulimits.memlock', msg: /negative/ },
  ])('$path: $msg', async ({ ulimits, path, msg }) => {
    const err = await serviceError({ ulimits });
    expect(err.path).toBe(path);
    expect(err.message).toMatch(msg);
  });
});

describe('ctnr:security-opt (process parts)', () => {
  it.each([
    { opts: ['no-new-privileges'], expect: { noNewPrivileges: true } },
    { opts: ['no-new-privileges:true'], expect: { noNewPrivileges: true } },
    { opts: ['no-new-privileges=false'], expect: { noNewPrivileges: false } },
    { opts: ['apparmor=my-profile'], expect: { apparmorProfile: 'my-profile' } },
    { opts: ['apparmor:unconfined'], expect: { apparmorProfile: 'unconfined' } },
    { opts: ['label=type:svirt_apache_t', 'label=level:s0:c100,c200'], expect: { selinuxLabel: 'system_u:system_r:svirt_apache_t:s0:c100,c200' } },
    { opts: ['label=disable', 'label=type:x_t'], expect: { selinuxLabel: undefined } },
  ])('$opts', async ({ opts, expect: want }) => {
    const process = (await runServiceYaml({ security_opt: opts })).spec.process as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) expect(process[k]).toEqual(v);
  });

  it.each([
    { opts: ['no-new-privilege'], msg: 'unknown security option "no-new-privilege" (did you mean "no-new-privileges"?)' },
    { opts: ['no-new-privileges:maybe'], msg: 'no-new-privileges takes true or false, not "maybe"' },
    { opts: ['label=colour:blue'], msg: 'label takes user:U, role:R, type:T, level:L or disable, not "colour:blue"' },
    { opts: ['apparmor='], msg: 'apparmor needs a profile name (apparmor=PROFILE or apparmor=unconfined)' },
  ])('$opts is refused', async ({ opts, msg }) => {
    const err = await serviceError({ security_opt: opts });
    expect(err.message).toBe(msg);
    expect(err.path).toBe('services.svc.security_opt[0]');
  });
});
