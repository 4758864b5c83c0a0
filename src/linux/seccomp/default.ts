import data from './profile.json' with { type: 'json' };
import type { Seccomp, SeccompSyscall } from '../../spec/types.js';
import { kernelAtLeast, type SeccompTarget } from './match.js';

/** One rule of ctnr's profile data (src/linux/seccomp/profile.json; its `about` explains the words). */
interface DataRule {
  why: string;
  allow?: string[];
  names?: string[];
  errno?: number;
  args?: Array<{ index: number; value: number; op: string }>;
  cap?: string;
  withoutCap?: string;
  arch?: string[];
  notArch?: string[];
  minKernel?: string;
}

interface ProfileData {
  defaultErrno: number;
  architectures: Record<string, string[]>;
  rules: DataRule[];
}

const profile = data as ProfileData;

/** A rule compiled once per process: its OCI form (shared, frozen) and its conditions. */
interface CompiledRule {
  syscall: Readonly<SeccompSyscall>;
  unconditional: boolean;
  applies(target: SeccompTarget): boolean;
}

function compile(rule: DataRule): CompiledRule {
  const names = rule.allow ?? rule.names ?? [];
  if (names.length === 0) throw new Error(`seccomp profile data: rule "${rule.why}" has no names`);
  const syscall: SeccompSyscall = rule.errno !== undefined
    ? { names, action: 'SCMP_ACT_ERRNO', errnoRet: rule.errno }
    : { names, action: 'SCMP_ACT_ALLOW' };
  if (rule.args) syscall.args = rule.args;
  const unconditional = !rule.cap && !rule.withoutCap && !rule.arch && !rule.notArch && !rule.minKernel;
  return {
    syscall: Object.freeze(syscall),
    unconditional,
    applies: (t) =>
      (rule.cap === undefined || t.bounding.includes(rule.cap)) &&
      (rule.withoutCap === undefined || !t.bounding.includes(rule.withoutCap)) &&
      (rule.arch === undefined || rule.arch.includes(t.arch)) &&
      (rule.notArch === undefined || !rule.notArch.includes(t.arch)) &&
      (rule.minKernel === undefined || kernelAtLeast(t.kernel, rule.minKernel)),
  };
}

const compiled = profile.rules.map(compile);
/**
 * The unconditional allow-list (most of the profile) merged into one sorted rule: fewer rules give runc a
 * smaller filter. Built once per process; each spec gets its own copy of the array (see below).
 */
const ALWAYS: readonly string[] = Object.freeze(
  [...new Set(compiled.filter((r) => r.unconditional && r.syscall.action === 'SCMP_ACT_ALLOW' && !r.syscall.args).flatMap((r) => r.syscall.names))].sort(),
);
const conditional = compiled.filter((r) => !(r.unconditional && r.syscall.action === 'SCMP_ACT_ALLOW' && !r.syscall.args));

/**
 * Which conditional rules apply depends only on (arch, kernel, bounding set), and a project's services share a
 * handful of those: the choice is remembered per target so a service pays for copying the rules, not for
 * re-testing every condition (kernel versions are parsed per test). Bounded, so a long-lived process asking about
 * endless targets only stops remembering.
 */
const RULES_CACHE_MAX = 64;
const rulesCache = new Map<string, readonly CompiledRule[]>();

function rulesFor(target: SeccompTarget): readonly CompiledRule[] {
  const key = `${target.arch}\0${target.kernel}\0${target.bounding.join(',')}`;
  let rules = rulesCache.get(key);
  if (rules === undefined) {
    rules = conditional.filter((rule) => rule.applies(target));
    if (rulesCache.size < RULES_CACHE_MAX) rulesCache.set(key, rules);
  }
  return rules;
}

export function defaultArchitectures(arch: string): string[] | undefined {
  return profile.architectures[arch];
}

/**
 * ctnr's default profile for one target. The engine applies ops in place and later plugins may patch the
 * profile, so every array in the result is fresh (copying ~400 names costs microseconds; sharing the
 * module's arrays would let one service's patch leak into the next).
 */
export function defaultSeccomp(target: SeccompTarget): Seccomp {
  const syscalls: SeccompSyscall[] = [{ names: [...ALWAYS], action: 'SCMP_ACT_ALLOW' }];
  for (const rule of rulesFor(target)) {
    const s = rule.syscall;
    const copy: SeccompSyscall = { names: [...s.names], action: s.action };
    if (s.errnoRet !== undefined) copy.errnoRet = s.errnoRet;
    if (s.args) copy.args = s.args.map((a) => ({ ...a }));
    syscalls.push(copy);
  }
  const out: Seccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: profile.defaultErrno };
  const arches = profile.architectures[target.arch];
  if (arches) out.architectures = [...arches];
  out.syscalls = syscalls;
  return out;
}

/** Every capability some rule of the default profile depends on (tests and explain output use it). */
export const PROFILE_CAPABILITIES: readonly string[] = Object.freeze(
  [...new Set(profile.rules.flatMap((r) => [r.cap, r.withoutCap].filter((c): c is string => c !== undefined)))].sort(),
);
