import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { specWith } from '../../helpers/plugin-table-b.js';
import { seccompPlugin } from '../../../plugins/seccomp/seccomp.js';
import { DOCKER_DEFAULT_CAPS } from '../../../presets/engines/docker.js';
import { ALL_CAPABILITIES } from '../../../src/linux/capabilities.js';
import type { Spec } from '../../../src/spec/types.js';
import { definePlugin } from '../../../src/engine/define.js';
import { kernelAtLeast } from '../../../src/linux/seccomp/match.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/seccomp/files');
const names = (spec: any) => new Set<string>((spec.linux.seccomp?.syscalls ?? []).filter((s: any) => s.action === 'SCMP_ACT_ALLOW').flatMap((s: any) => s.names));

/** The spec ctnr:capabilities / ctnr:privileged leave: these capabilities in every set. */
const withCaps = (caps: readonly string[]): Spec => specWith((s) => {
  s.process!.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
});
const DOCKER_PLUS_ADMIN = withCaps([...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN']);
const ADMIN_ONLY = withCaps(['CAP_SYS_ADMIN']);
const ALL = withCaps(ALL_CAPABILITIES);

describe('ctnr:seccomp', () => {
  it.each([
    // service, the capabilities earlier plugins left, expect a filter?, expect unshare allowed?
    { service: {}, caps: 'docker\'s', spec: undefined, filtered: true, unshare: false },
    { service: {}, caps: 'docker\'s + SYS_ADMIN', spec: DOCKER_PLUS_ADMIN, filtered: true, unshare: true },
    { service: {}, caps: 'SYS_ADMIN only', spec: ADMIN_ONLY, filtered: true, unshare: true },
    { service: { security_opt: ['seccomp=unconfined'] }, caps: 'docker\'s', spec: undefined, filtered: false, unshare: false },
    { service: { security_opt: ['seccomp:unconfined'] }, caps: 'docker\'s', spec: undefined, filtered: false, unshare: false },
    { service: { privileged: true }, caps: 'all', spec: ALL, filtered: false, unshare: false },
    // an explicit profile stays; it is derived from privileged's full capability set, so unshare is allowed
    { service: { privileged: true, security_opt: ['seccomp=default'] }, caps: 'all', spec: ALL, filtered: true, unshare: true },
    { service: { security_opt: ['seccomp=builtin'] }, caps: 'docker\'s', spec: undefined, filtered: true, unshare: false },
  ])('$service with $caps capabilities → filter $filtered, unshare allowed $unshare', async ({ service, spec, filtered, unshare }) => {
    const r = await testPluginYaml(seccompPlugin(), service, spec ? { spec } : {});
    expect(r.errors).toEqual([]);
    expect(r.spec!.linux!.seccomp !== undefined).toBe(filtered);
    if (filtered) {
      expect(r.spec!.linux!.seccomp!.defaultAction).toBe('SCMP_ACT_ERRNO');
      expect(names(r.spec).has('unshare')).toBe(unshare);
      expect(names(r.spec).has('read')).toBe(true);
    }
  });

  it.each([
    { what: 'a profile is added', service: {}, spec: undefined, ops: ['add /linux/seccomp'] },
    { what: 'a profile set before is replaced', service: {}, spec: specWith((s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' })), ops: ['replace /linux/seccomp'] },
    { what: 'unconfined removes a profile set before', service: { security_opt: ['seccomp=unconfined'] }, spec: specWith((s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' })), ops: ['remove /linux/seccomp'] },
    { what: 'unconfined with none: nothing to do', service: { security_opt: ['seccomp=unconfined'] }, spec: undefined, ops: [] },
    { what: 'no linux object: its parent first', service: {}, spec: specWith((s) => delete s.linux), ops: ['add /linux', 'add /linux/seccomp'] },
  ])('ops: $what', async ({ service, spec, ops }) => {
    const r = await testPluginYaml(seccompPlugin(), service, spec ? { spec } : {});
    expect(r.ops.map((o) => `${o.op} ${o.path}`)).toEqual(ops);
  });

  it('derives the profile from the bounding set it is given', async () => {
    expect(names((await testPluginYaml(seccompPlugin(), {}, { spec: DOCKER_PLUS_ADMIN })).spec).has('mount')).toBe(true);
    expect(names((await testPluginYaml(seccompPlugin(), {})).spec).has('mount')).toBe(false);
  });

  it('uses the target arch and kernel from the env', async () => {
    const { spec } = await testPluginYaml(seccompPlugin(), {}, { env: { arch: 'arm64', kernelRelease: '4.4.0' } });
    expect(spec!.linux!.seccomp!.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(names(spec).has('ptrace')).toBe(false); // before 4.8 only with CAP_SYS_PTRACE
    expect(names(spec).has('set_tls')).toBe(true);
  });

  it('loads an OCI LinuxSeccomp file relative to the compose directory, verbatim', async () => {
    const { spec } = await testPluginYaml(seccompPlugin(), { security_opt: ['seccomp=oci.json'] }, { dir: FIXTURES });
    expect(spec!.linux!.seccomp).toEqual({
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
    { caps: 'docker\'s', spec: undefined, arch: 'amd64', arches: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], rules: ['read,write', 'arch_prctl', 'clone3:38', 'socket'] },
    { caps: 'docker\'s + SYS_ADMIN', spec: DOCKER_PLUS_ADMIN, arch: 'amd64', arches: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], rules: ['read,write', 'mount', 'arch_prctl', 'socket'] },
    { caps: 'docker\'s', spec: undefined, arch: 'arm64', arches: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], rules: ['read,write', 'clone3:38', 'socket'] },
    { caps: 'docker\'s', spec: undefined, arch: 'riscv64', arches: undefined, rules: ['read,write', 'clone3:38', 'socket'] },
  ])('converts a docker-format file for $caps capabilities on $arch', async ({ spec, arch, arches, rules }) => {
    const r = await testPluginYaml(seccompPlugin(), { security_opt: ['seccomp=./docker-format.json'] }, { dir: FIXTURES, env: { arch }, ...(spec ? { spec } : {}) });
    const s = r.spec!.linux!.seccomp!;
    expect(s.architectures).toEqual(arches);
    expect(s.syscalls!.map((rule) => rule.names.join(',') + (rule.errnoRet ? `:${rule.errnoRet}` : ''))).toEqual(rules);
    for (const rule of s.syscalls!) expect(Object.keys(rule).every((k) => ['names', 'action', 'errnoRet', 'args'].includes(k))).toBe(true);
  });

  it.each([
    ['seccomp=missing.json', /seccomp profile missing\.json not found \(looked for .*fixtures\/seccomp\/files\/missing\.json\)/],
    ['seccomp=not-json.json', /not-json\.json is not valid JSON/],
    ['seccomp=bad-action.json', /bad-action\.json: syscalls\[1\]\.action: /],
    ['seccomp=both-arches.json', /both "architectures" and "archMap"/],
    ['seccomp=', /seccomp needs a value/],
  ])('%s → located error', async (opt, message) => {
    const { errors } = await testPluginYaml(seccompPlugin(), { security_opt: ['no-new-privileges', opt] }, { dir: FIXTURES });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:seccomp', path: 'services.svc.security_opt[1]', message: expect.stringMatching(message) }]);
    expect(errors[0]!.location?.line).toBeGreaterThan(1);
  });

  it('refuses seccomp given twice', async () => {
    const { errors } = await testPluginYaml(seccompPlugin(), { security_opt: ['seccomp=unconfined', 'seccomp=default'] });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:seccomp', path: 'services.svc.security_opt[1]', message: expect.stringMatching(/more than once \(first at security_opt\[0\]\)/) }]);
  });
});

// What only the pipeline shows: the profile follows the capabilities of the process and privileged stages, and
// ctnr:seccomp-caps-check reads the whole trace.
describe('pipeline: ctnr:seccomp after the stages that set capabilities', () => {
  it.each([
    [{ cap_add: ['SYS_ADMIN'] }, true, true],
    [{ cap_drop: ['ALL'], cap_add: ['sys_admin'] }, true, true],
    [{ privileged: true }, false, false],
    [{ privileged: true, security_opt: ['seccomp=default'] }, true, true],
  ])('%j → filter %s, unshare allowed %s', async (service, filtered, unshare) => {
    const { spec } = await runServiceYaml(service);
    expect(spec.linux!.seccomp !== undefined).toBe(filtered);
    if (filtered) expect(names(spec).has('unshare')).toBe(unshare);
  });

  it('converts a docker-format file for the capabilities cap_add gave', async () => {
    const { spec } = await runServiceYaml({ cap_add: ['SYS_ADMIN'], security_opt: ['seccomp=./docker-format.json'] }, { dir: FIXTURES });
    expect(spec.linux!.seccomp!.syscalls!.map((r) => r.names.join(','))).toEqual(['read,write', 'mount', 'arch_prctl', 'socket']);
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
