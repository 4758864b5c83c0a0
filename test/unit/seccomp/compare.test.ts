import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES } from '../../../src/linux/capabilities.js';
import { DOCKER_DEFAULT_CAPS } from '../../../presets/engines/docker.js';
import { convertSeccompFile, seccompFileSchema, type SeccompFile } from '../../../src/linux/seccomp/convert.js';
import { defaultSeccomp } from '../../../src/linux/seccomp/default.js';
import type { Seccomp } from '../../../src/spec/types.js';
import { SHARED, sharedAvailable } from '../../helpers/shared.js';

/**
 * Canonical form of a profile: one entry per (syscall name, action, errno, argument filter). Rule grouping and
 * order do not change what the kernel does (libseccomp merges rules per syscall), so they are left out.
 */
function canonical(p: Seccomp): string[] {
  const out = new Set<string>();
  for (const s of p.syscalls ?? []) {
    for (const name of s.names) out.add(`${name} ${s.action} errno=${s.errnoRet ?? '-'} args=${JSON.stringify(s.args ?? [])}`);
  }
  return [...out].sort();
}

const allowedNames = (p: Seccomp) => new Set((p.syscalls ?? []).filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names));

const CAP_SETS: Array<[string, readonly string[]]> = [
  ['docker default', DOCKER_DEFAULT_CAPS],
  ['default + SYS_ADMIN', [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN']],
  ['default + SYS_PTRACE', [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_PTRACE']],
  ['all caps', ALL_CAPABILITIES],
];

describe.skipIf(!sharedAvailable('seccomp comparison with the moby profile'))('default profile vs docker (moby-default.json converted)', () => {
  // Read in beforeAll: a skipped describe still runs its body to collect tests.
  let moby: SeccompFile;
  beforeAll(() => {
    moby = seccompFileSchema.parse(JSON.parse(readFileSync(path.join(SHARED, 'reference/seccomp/moby-default.json'), 'utf8')));
  });

  it.each(CAP_SETS)('%s on amd64: same syscalls, actions, errnos and argument filters', (_name, bounding) => {
    const target = { arch: 'amd64', bounding, kernel: '6.1.0' };
    const theirs = convertSeccompFile(moby, target);
    const ours = defaultSeccomp(target);
    expect(ours.defaultAction).toBe(theirs.defaultAction);
    expect(ours.defaultErrnoRet).toBe(theirs.defaultErrnoRet);
    expect(ours.architectures).toEqual(theirs.architectures);
    expect(canonical(ours)).toEqual(canonical(theirs));
  });

  // Beyond the four sets the issue names: each capability alone on top of the defaults, so a rule tied to the
  // wrong capability cannot hide behind "all caps".
  it.each(ALL_CAPABILITIES.filter((c) => !DOCKER_DEFAULT_CAPS.includes(c)))('default + %s on amd64: same canonical profile', (cap) => {
    const target = { arch: 'amd64', bounding: [...DOCKER_DEFAULT_CAPS, cap], kernel: '6.1.0' };
    expect(canonical(defaultSeccomp(target))).toEqual(canonical(convertSeccompFile(moby, target)));
  });

  it('on an old kernel (4.4) ptrace is allowed only through CAP_SYS_PTRACE, in both', () => {
    for (const bounding of [DOCKER_DEFAULT_CAPS, [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_PTRACE']]) {
      const target = { arch: 'amd64', bounding, kernel: '4.4.0-210-generic' };
      expect(canonical(defaultSeccomp(target))).toEqual(canonical(convertSeccompFile(moby, target)));
      expect(allowedNames(defaultSeccomp(target)).has('ptrace')).toBe(bounding.includes('CAP_SYS_PTRACE'));
    }
  });

  it.each(['arm64', 's390x', 'riscv64'])('%s: same canonical profile for default caps', (arch) => {
    const target = { arch, bounding: DOCKER_DEFAULT_CAPS, kernel: '6.1.0' };
    expect(canonical(defaultSeccomp(target))).toEqual(canonical(convertSeccompFile(moby, target)));
  });
});

describe('default profile facts (reasoned from the syscalls, independent of the reference file)', () => {
  const at = (bounding: readonly string[], arch = 'amd64') => defaultSeccomp({ arch, bounding, kernel: '6.1.0' });
  const rulesFor = (p: Seccomp, name: string) => (p.syscalls ?? []).filter((s) => s.names.includes(name));

  it.each([
    // name, allowed outright with the docker default caps?, with CAP_SYS_ADMIN added?
    ['unshare', false, true],
    ['mount', false, true],
    ['setns', false, true],
    ['sethostname', false, true],
    ['chroot', true, true], // CAP_SYS_CHROOT is a docker default
    ['read', true, true],
    ['open_by_handle_at', false, false],
    ['reboot', false, false],
    ['arch_prctl', true, true],
    ['ptrace', true, true], // unconditional from kernel 4.8
  ])('%s: default caps → %s, + SYS_ADMIN → %s', (name, plain, admin) => {
    expect(allowedNames(at(DOCKER_DEFAULT_CAPS)).has(name)).toBe(plain);
    expect(allowedNames(at([...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN'])).has(name)).toBe(admin);
  });

  it('without SYS_ADMIN, clone3 answers ENOSYS (libc falls back to clone) and clone may not create namespaces', () => {
    const p = at(DOCKER_DEFAULT_CAPS);
    expect(rulesFor(p, 'clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    const ns = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
    expect(rulesFor(p, 'clone')).toEqual([{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: ns, op: 'SCMP_CMP_MASKED_EQ' }] }]);
    expect(p.defaultErrnoRet).toBe(1);
  });

  it('with SYS_ADMIN, clone and clone3 are plainly allowed and no ENOSYS rule is left', () => {
    const p = at([...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN']);
    expect(rulesFor(p, 'clone3').map((r) => r.action)).toEqual(['SCMP_ACT_ALLOW']);
    expect(rulesFor(p, 'clone').every((r) => !r.args)).toBe(true);
  });

  it('on s390x the clone flags are argument 1', () => {
    expect(rulesFor(at(DOCKER_DEFAULT_CAPS, 's390x'), 'clone')[0]!.args![0]!.index).toBe(1);
  });

  it('socket is allowed for every family except AF_VSOCK (40)', () => {
    const socket = rulesFor(at(DOCKER_DEFAULT_CAPS), 'socket').map((r) => r.args);
    expect(socket).toEqual([[{ index: 0, value: 38, op: 'SCMP_CMP_LT' }], [{ index: 0, value: 39, op: 'SCMP_CMP_EQ' }], [{ index: 0, value: 40, op: 'SCMP_CMP_GT' }]]);
  });

  it('architectures follow the target', () => {
    expect(at(DOCKER_DEFAULT_CAPS).architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(at(DOCKER_DEFAULT_CAPS, 'arm64').architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(allowedNames(at(DOCKER_DEFAULT_CAPS, 'arm64')).has('arch_prctl')).toBe(false);
  });

  it('every call returns fresh arrays (a patch on one spec cannot leak into the next)', () => {
    const a = at(DOCKER_DEFAULT_CAPS);
    const b = at(DOCKER_DEFAULT_CAPS);
    expect(a).toEqual(b);
    a.syscalls![0]!.names.push('kexec_load');
    a.syscalls!.find((s) => s.args)!.args![0]!.value = 1;
    expect(at(DOCKER_DEFAULT_CAPS)).toEqual(b);
  });
});
