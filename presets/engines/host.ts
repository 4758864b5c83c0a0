import { readFileSync } from 'node:fs';
import os from 'node:os';

/** An rlimit of the host (`/proc/self/limits`): a number, or `unlimited`. */
export interface HostLimit {
  soft: number | 'unlimited';
  hard: number | 'unlimited';
}

/**
 * Facts of the host that will run the bundle which an engine reads when it generates a spec: podman's default
 * RLIMIT_NPROC is the host's pid_max (podman 4), both engines clamp rlimits to what the host allows, and with
 * host networking both write the host's name as the container's. A preset takes them as an option (tests pass
 * the facts of the machine the parity fixtures came from); a fact not given is read from this machine when a
 * plugin first needs it.
 */
export interface HostFacts {
  /** `hostname` of the host (docker and podman copy it with `network_mode: host`). */
  hostname?: string;
  /** `/proc/sys/kernel/pid_max`. */
  pidMax?: number;
  /** Limits of the process that runs the runtime (what a container's rlimits can reach without CAP_SYS_RESOURCE). */
  rlimits?: Partial<Record<'RLIMIT_NOFILE' | 'RLIMIT_NPROC', HostLimit>>;
}

const LIMIT_NAMES = { RLIMIT_NOFILE: 'Max open files', RLIMIT_NPROC: 'Max processes' } as const;

let detected: Required<HostFacts> | undefined;

function readLimits(): HostFacts['rlimits'] {
  const out: NonNullable<HostFacts['rlimits']> = {};
  let text = '';
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return out;
  }
  for (const [type, label] of Object.entries(LIMIT_NAMES) as Array<[keyof typeof LIMIT_NAMES, string]>) {
    const line = text.split('\n').find((l) => l.startsWith(label));
    const [soft, hard] = (line?.slice(label.length).trim().split(/\s+/) ?? []) as [string?, string?];
    const value = (v: string | undefined) => (v === 'unlimited' ? 'unlimited' : Number(v));
    if (soft !== undefined && hard !== undefined) out[type] = { soft: value(soft), hard: value(hard) };
  }
  return out;
}

/** This machine's facts, read once. */
export function detectHostFacts(): Required<HostFacts> {
  if (detected === undefined) {
    let pidMax = 4194304;
    try {
      pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) || pidMax;
    } catch {
      // not Linux: the kernel's 64-bit maximum
    }
    detected = { hostname: os.hostname(), pidMax, rlimits: readLimits() ?? {} };
  }
  return detected;
}

/** A fact from the preset's options, else this machine's. */
export function hostFact<K extends keyof HostFacts>(given: HostFacts | undefined, key: K): Required<HostFacts>[K] {
  const value = given?.[key];
  return (value !== undefined ? value : detectHostFacts()[key]) as Required<HostFacts>[K];
}
