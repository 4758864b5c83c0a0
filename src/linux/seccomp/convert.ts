import { z } from 'zod';
import type { Seccomp, SeccompSyscall } from '../../spec/types.js';
import { GOARCH_TO_SCMP, kernelAtLeast, type SeccompTarget } from './match.js';

const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'] as const;
const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;
const ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
] as const;
const FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] as const;

/**
 * A seccomp profile file: an OCI `LinuxSeccomp` object, or a docker/podman-format profile (a superset: `archMap`,
 * per-rule `includes`/`excludes`, `comment`, string errno names). Unknown keys are ignored, as docker does.
 *
 * The schema (some ninety zod schemas) is built on first use: only a profile file (`security_opt: seccomp=FILE`) and
 * the engine presets' profiles are parsed with it, and building it at import cost every `ctnr spec`. `parse` and
 * `safeParse` are the schema's own.
 */
export const seccompFileSchema: Pick<SeccompFileSchema, 'parse' | 'safeParse'> = {
  parse: (...args) => schemas().fileSchema.parse(...args),
  safeParse: (...args) => schemas().fileSchema.safeParse(...args),
};

let built: ReturnType<typeof buildSchemas> | undefined;
const schemas = () => (built ??= buildSchemas());

function buildSchemas() {
  const uint32 = z.number().int().min(0).max(0xffffffff);
  const uint64 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
  /** `null` where docker's Go structs marshal an empty slice; treated as absent. */
  const nullable = <T extends z.ZodType>(t: T) => t.nullable().optional();

  const filter = z.object({
    caps: nullable(z.array(z.string())),
    arches: nullable(z.array(z.string())),
    minKernel: nullable(z.string().regex(/^\d+(\.\d+){0,2}$/, 'is not a kernel version (e.g. 4.8)')),
  });

  const syscall = z.object({
    name: z.string().min(1).optional(),
    names: nullable(z.array(z.string().min(1))),
    action: z.enum(ACTIONS),
    errnoRet: uint32.optional(),
    args: nullable(z.array(z.object({ index: uint32, value: uint64, valueTwo: uint64.optional(), op: z.enum(OPERATORS) }))),
    includes: nullable(filter),
    excludes: nullable(filter),
    // Engine extras with no OCI meaning (docker's comment, containers/common's errno names) are dropped.
    comment: z.string().optional(),
    errno: z.string().optional(),
  }).superRefine((s, ctx) => {
    if (s.name !== undefined && s.names) ctx.addIssue({ code: 'custom', message: 'has both "name" and "names"' });
    if (s.name === undefined && !s.names?.length) ctx.addIssue({ code: 'custom', message: 'needs "names" (a non-empty list)' });
  });

  const fileSchema = z.object({
    defaultAction: z.enum(ACTIONS),
    defaultErrnoRet: uint32.optional(),
    defaultErrno: z.string().optional(),
    architectures: nullable(z.array(z.enum(ARCHES))),
    archMap: nullable(z.array(z.object({ architecture: z.enum(ARCHES), subArchitectures: nullable(z.array(z.enum(ARCHES))) }))),
    flags: nullable(z.array(z.enum(FLAGS))),
    listenerPath: z.string().optional(),
    listenerMetadata: z.string().optional(),
    syscalls: nullable(z.array(syscall)),
  }).superRefine((p, ctx) => {
    if (p.architectures?.length && p.archMap?.length) {
      ctx.addIssue({ code: 'custom', message: 'has both "architectures" and "archMap" (use one)', path: ['archMap'] });
    }
  });

  return { fileSchema, filter };
}

type SeccompFileSchema = ReturnType<typeof buildSchemas>['fileSchema'];
export type SeccompFile = z.output<SeccompFileSchema>;
type Filter = z.output<ReturnType<typeof buildSchemas>['filter']>;

/** Docker's rule: every listed cap must be in the bounding set, the target arch must be listed, kernel ≥ minKernel. */
function included(f: Filter | null | undefined, t: SeccompTarget): boolean {
  if (!f) return true;
  if (f.caps?.length && !f.caps.every((c) => t.bounding.includes(c))) return false;
  if (f.arches?.length && !f.arches.includes(t.arch)) return false;
  if (f.minKernel && !kernelAtLeast(t.kernel, f.minKernel)) return false;
  return true;
}

/** Excluded when any listed cap is in the bounding set, or the target arch is listed, or kernel ≥ minKernel. */
function excluded(f: Filter | null | undefined, t: SeccompTarget): boolean {
  if (!f) return false;
  if (f.caps?.some((c) => t.bounding.includes(c))) return true;
  if (f.arches?.includes(t.arch)) return true;
  if (f.minKernel && kernelAtLeast(t.kernel, f.minKernel)) return true;
  return false;
}

/**
 * Convert a parsed profile file to OCI `linux.seccomp` for one target (reference/README.md "seccomp"): the
 * `archMap` entry of the target arch gives `architectures = [arch, ...subArchitectures]` (none matching = the
 * runtime's native arch only); a rule is kept only if its `includes` match and its `excludes` do not; the
 * engine-only keys are dropped. An OCI object passes through unchanged (it has no conditions).
 */
export function convertSeccompFile(file: SeccompFile, target: SeccompTarget): Seccomp {
  const out: Seccomp = { defaultAction: file.defaultAction };
  if (file.defaultErrnoRet !== undefined) out.defaultErrnoRet = file.defaultErrnoRet;
  if (file.archMap?.length) {
    const want = GOARCH_TO_SCMP[target.arch];
    const arches: string[] = [];
    for (const entry of file.archMap) {
      if (entry.architecture === want) arches.push(entry.architecture, ...(entry.subArchitectures ?? []));
    }
    if (arches.length > 0) out.architectures = arches;
  } else if (file.architectures?.length) {
    out.architectures = [...file.architectures];
  }
  if (file.flags?.length) out.flags = [...file.flags];
  if (file.listenerPath !== undefined) out.listenerPath = file.listenerPath;
  if (file.listenerMetadata !== undefined) (out as Seccomp & { listenerMetadata?: string }).listenerMetadata = file.listenerMetadata;
  const syscalls: SeccompSyscall[] = [];
  for (const rule of file.syscalls ?? []) {
    if (!included(rule.includes, target) || excluded(rule.excludes, target)) continue;
    const s: SeccompSyscall = { names: rule.names ? [...rule.names] : [rule.name!], action: rule.action };
    if (rule.errnoRet !== undefined) s.errnoRet = rule.errnoRet;
    if (rule.args?.length) {
      s.args = rule.args.map((a) => (a.valueTwo ? { index: a.index, value: a.value, valueTwo: a.valueTwo, op: a.op } : { index: a.index, value: a.value, op: a.op }));
    }
    syscalls.push(s);
  }
  if (syscalls.length > 0) out.syscalls = syscalls;
  return out;
}
