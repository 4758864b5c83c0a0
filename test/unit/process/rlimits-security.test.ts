import { describe, expect, it } from 'vitest';
import { testPluginYaml } from '../../helpers/engine.js';
import { baseSpec } from '../../helpers/plugin-table.js';
import { rlimitsPlugin } from '../../../plugins/process/rlimits.js';
import { securityOptPlugin } from '../../../plugins/process/security-opt.js';

describe('ctnr:rlimits', () => {
  it.each([
    { ulimits: { nofile: 1024 }, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }] },
    { ulimits: { nproc: { soft: 10, hard: 20 }, nofile: { soft: 5, hard: 6 } }, rlimits: [{ type: 'RLIMIT_NPROC', soft: 10, hard: 20 }, { type: 'RLIMIT_NOFILE', soft: 5, hard: 6 }] },
  ])('$ulimits', async ({ ulimits, rlimits }) => {
    const r = await testPluginYaml(rlimitsPlugin(), { ulimits });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([{ op: 'add', path: '/process/rlimits', value: rlimits }]);
    expect(r.spec!.process!.rlimits).toEqual(rlimits);
  });

  it('no ulimits: no ops', async () => {
    expect((await testPluginYaml(rlimitsPlugin(), {})).ops).toEqual([]);
  });

  it('limits set before keep their place; the service replaces one of the same type', async () => {
    const spec = baseSpec((s) => { s.process!.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }]; });
    const r = await testPluginYaml(rlimitsPlugin(), { ulimits: { nofile: 7 } }, { spec });
    expect(r.spec!.process!.rlimits).toEqual([{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 7, hard: 7 }]);
  });

  it.each([
    { ulimits: { nofiles: 10 }, path: 'services.svc.ulimits.nofiles', msg: /unknown ulimit "nofiles"/ },
    { ulimits: { nofile: { soft: 20, hard: 10 } }, path: 'services.svc.ulimits.nofile', msg: /soft limit 20 is above hard limit 10/ },
    { ulimits: { memlock: -1 }, path: 'services.svc.ulimits.memlock', msg: /negative/ },
  ])('$path: $msg', async ({ ulimits, path, msg }) => {
    const { errors } = await testPluginYaml(rlimitsPlugin(), { ulimits });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:rlimits', path }]);
    expect(errors[0]!.message).toMatch(msg);
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
    const r = await testPluginYaml(securityOptPlugin(), { security_opt: opts });
    expect(r.errors).toEqual([]);
    // Exactly the fields of the table are written, each with one op.
    expect(r.ops).toEqual(Object.entries(want).filter(([, v]) => v !== undefined).map(([k, v]) => ({ op: 'add', path: `/process/${k}`, value: v })));
    const process = r.spec!.process as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) expect(process[k]).toEqual(v);
  });

  it('other known keys are left to their stages: no ops, no error', async () => {
    const r = await testPluginYaml(securityOptPlugin(), { security_opt: ['seccomp=unconfined', 'systempaths=unconfined'] });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([]);
  });

  it.each([
    { opts: ['no-new-privilege'], msg: 'unknown security option "no-new-privilege" (did you mean "no-new-privileges"?)' },
    { opts: ['no-new-privileges:maybe'], msg: 'no-new-privileges takes true or false, not "maybe"' },
    { opts: ['label=colour:blue'], msg: 'label takes user:U, role:R, type:T, level:L or disable, not "colour:blue"' },
    { opts: ['apparmor='], msg: 'apparmor needs a profile name (apparmor=PROFILE or apparmor=unconfined)' },
  ])('$opts is refused', async ({ opts, msg }) => {
    const { errors } = await testPluginYaml(securityOptPlugin(), { security_opt: opts });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:security-opt', path: 'services.svc.security_opt[0]' }]);
    expect(errors[0]!.message).toBe(msg);
  });
});
