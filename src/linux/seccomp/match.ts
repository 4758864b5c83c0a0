import os from 'node:os';
import { remembered } from '../../engine/remember.js';

/**
 * The conditions seccomp profiles put on a rule (docker's `includes`/`excludes`, and the same words in ctnr's own
 * profile data), evaluated for one target: its Go architecture, the FINAL capability bounding set and the kernel
 * that will run the container.
 */
export interface SeccompTarget {
  /** Go architecture name (amd64, arm64, …). */
  arch: string;
  /** The process's capability bounding set after every plugin that changes capabilities. */
  bounding: readonly string[];
  /** Kernel release of the host that will run the bundle (`6.1.0-18-amd64`); `minKernel` rules need it. */
  kernel: string;
}

let hostRelease: string | undefined;

/** `env.kernelRelease` when the caller says where the bundle will run, else this host's (read once: uname is a syscall). */
export function targetKernel(envRelease: unknown): string {
  if (typeof envRelease === 'string') return envRelease;
  return (hostRelease ??= os.release());
}

/** Go architecture → libseccomp name, for picking a docker profile's `archMap` entry. */
export const GOARCH_TO_SCMP: Readonly<Record<string, string>> = {
  amd64: 'SCMP_ARCH_X86_64', '386': 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM',
  mips64: 'SCMP_ARCH_MIPS64', mips64le: 'SCMP_ARCH_MIPSEL64', mips: 'SCMP_ARCH_MIPS', mipsle: 'SCMP_ARCH_MIPSEL',
  ppc64le: 'SCMP_ARCH_PPC64LE', ppc64: 'SCMP_ARCH_PPC64', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
};

/** `6.1.0-18-amd64` → [6, 1, 0]; `4.8` → [4, 8]. Undefined when it does not start with a number. */
export function parseKernelVersion(release: string): number[] | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(release.trim());
  if (!m) return undefined;
  return [m[1], m[2], m[3]].filter((x) => x !== undefined).map(Number);
}

/** parseKernelVersion, remembered: callers ask about the same release and the same few minimums for every service. */
const parsedKernel: (release: string) => readonly number[] | undefined = remembered(parseKernelVersion, 64);

/** Is `release` at least `min`? Missing parts count as 0 (docker compares major, minor, patch the same way). */
export function kernelAtLeast(release: string, min: string): boolean {
  const have = parsedKernel(release);
  const want = parsedKernel(min);
  if (!have || !want) return false;
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}
