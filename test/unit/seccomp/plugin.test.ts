import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';
import { definePlugin } from '../../../src/engine/define.js';
import { kernelAtLeast } from '../../../src/linux/seccomp/match.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/seccomp/files');
const names = (spec: any) => new Set<string>((spec.linux.seccomp?.syscalls ?? []).filter((s: any) => s.action === 'SCMP_ACT_ALLOW').flatMap((s: any) => s.names));

describe('ctnr:seccomp', () => {
  it.each([
    // service, expect a filter?, expect unshare allowed?
    [{}, true, false],
    [{ cap_add: ['SYS_ADMIN'] }, true, true],
    [{ cap_drop: ['ALL'], cap_add: ['sys_admin'] }, true, true],
    [{ security_opt: ['seccomp=unconfined'] }, false, false],
    [{ security_opt: ['seccomp:unconfined'] }, false, false],
    [{ privileged: true }, false, false],
    // an explicit profile stays; it is derived from privileged's full capability set, so unshare is allowed
    [{ privileged: true, security_opt: ['seccomp=default'] }, true, true],
  ])('%j → filter %s, unshare allowed %s', async (service, filtered, unshare) => {
    const { spec } = await runServiceYaml(service);
    expect(spec.linux!.seccomp !== undefined).toBe(filtered);
    if (filtered) {
      expect(spec.linux!.seccomp!.defaultAction).toBe('SCMP_ACT_ERRNO');
      expect(names(spec).has('unshare')).toBe(unshare);
      expect(names(spec).has('read')).toBe(true);
    }
  });

  it('derives the profile from the FINAL bounding set, whatever plugin changed it last', async () => {
    // A preset plugin in the privileged stage (after process) adds SYS_ADMIN; the profile must follow it.
    const addAdmin = definePlugin({
      name: 'test:add-admin',
      stage: 'privileged',
      apply: ({ spec }) => [{ op: 'add', path: '/process/capabilities/bounding/-', value: 'CAP_SYS_ADMIN' }],
    });
    const { spec } = await runServiceYaml({}, { plugins: [addAdmin] });
    expect(names(spec).has('mount')).toBe(true);
  });

  it('flags a capability change made after the profile (a later stage)', async () => {
    const late = definePlugin({
      name: 'test:late-caps',
      stage: 'hooks',
      apply: () => [{ op: 'add', path: '/process/capabilities/bounding/-', value: 'CAP_SYS_ADMIN' }],
    });
    const r = await runServiceYaml({}, { plugins: [late] });
    expect(r.violations.map((v) => [v.validator, v.plugin])).toEqual([['ctnr:seccomp-caps-check', 'test:late-caps']]);
    expect((await runServiceYaml({})).violations).toEqual([]);
  });

  it('uses the target arch and kernel from the env', async () => {
    const { spec } = await runServiceYaml({}, { env: { arch: 'arm64', kernelRelease: '4.4.0' } });
    expect(spec.linux!.seccomp!.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(names(spec).has('ptrace')).toBe(false); // before 4.8 only with CAP_SYS_PTRACE
    expect(names(spec).has('set_tls')).toBe(true);
  });

  it('loads an OCI LinuxSeccomp file relative to the compose directory, verbatim', async () => {
    const { spec } = await runServiceYaml({ security_opt: ['seccomp=oci.json'] }, { dir: FIXTURES });
    expect(spec.linux!.seccomp).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
      ],
    });
  });

  it.each([
    [{}, 'amd64', ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], ['read,write', 'arch_prctl', 'clone3:38', 'socket']],
    [{ cap_add: ['SYS_ADMIN'] }, 'amd64', ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], ['read,write', 'mount', 'arch_prctl', 'socket']],
    [{}, 'arm64', ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], ['read,write', 'clone3:38', 'socket']],
    [{}, 'riscv64', undefined, ['read,write', 'clone3:38', 'socket']],
  ])('converts a docker-format file for %j on %s', async (service, arch, arches, rules) => {
    const { spec } = await runServiceYaml({ ...service, security_opt: ['seccomp=./docker-format.json'] }, { dir: FIXTURES, env: { arch } });
    const s = spec.linux!.seccomp!;
    expect(s.architectures).toEqual(arches);
    expect(s.syscalls!.map((r) => r.names.join(',') + (r.errnoRet ? `:${r.errnoRet}` : ''))).toEqual(rules);
    for (const r of s.syscalls!) expect(Object.keys(r).every((k) => ['names', 'action', 'errnoRet', 'args'].includes(k))).toBe(true);
  });

  it.each([
    ['seccomp=missing.json', /seccomp profile missing\.json not found \(looked for .*fixtures\/seccomp\/files\/missing\.json\)/],
    ['seccomp=not-json.json', /not-json\.json is not valid JSON/],
    ['seccomp=bad-action.json', /bad-action\.json: syscalls\[1\]\.action: /],
    ['seccomp=both-arches.json', /both "architectures" and "archMap"/],
    ['seccomp=', /seccomp needs a value/],
  ])('%s → located error', async (opt, message) => {
    const err = await serviceError({ security_opt: ['no-new-privileges', opt] }, { dir: FIXTURES });
    expect(err.code).toBe('SERVICE_INVALID');
    expect(err.plugin).toBe('ctnr:seccomp');
    expect(err.path).toBe('services.svc.security_opt[1]');
    expect(err.message).toMatch(message);
  });

  it('refuses seccomp given twice', async () => {
    const err = await serviceError({ security_opt: ['seccomp=unconfined', 'seccomp=default'] });
    expect(err.path).toBe('services.svc.security_opt[1]');
  });
});

describe('kernelAtLeast', () => {
  it.each([
    ['6.1.0-18-amd64', '4.8', true],
    ['4.8', '4.8', true],
    ['4.8.0', '4.8.1', false],
    ['4.7.10', '4.8', false],
    ['10.0', '9.9.9', true],
    ['garbage', '4.8', false],
  ])('%s ≥ %s → %s', (have, want, result) => expect(kernelAtLeast(have, want)).toBe(result));
});
