import { remembered } from '../engine/remember.js';

/** Every capability of Linux 5.9+ (CAP_CHECKPOINT_RESTORE = 40 is the last), in kernel number order. */
export const ALL_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
]);

const KNOWN = new Set(ALL_CAPABILITIES);

/**
 * `net_admin`, `NET_ADMIN`, `cap_net_admin` → `CAP_NET_ADMIN`; `all` → `ALL`; unknown → undefined. Remembered:
 * services spell the same few capabilities.
 */
export const normaliseCapability: (name: string) => string | undefined = remembered((name) => {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  return KNOWN.has(full) ? full : undefined;
}, 1024);

/** Parse a hex capability mask from /proc/<pid>/status (CapBnd) into names. */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** Sort names by kernel number so output does not depend on the order users listed them. */
export function sortCapabilities(caps: Iterable<string>): string[] {
  // A precomputed rank, not indexOf in the comparator (a scan of 41 names per comparison, for every service).
  // Unknown names rank -1, first, as indexOf ranked them.
  return [...new Set(caps)].sort((a, b) => (RANK.get(a) ?? -1) - (RANK.get(b) ?? -1));
}

const RANK = new Map(ALL_CAPABILITIES.map((c, i) => [c, i]));
