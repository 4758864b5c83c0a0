import type { DeviceRule } from '../../src/spec/types.js';

/**
 * Docker's defaults (moby 29, PEERS.md §3), the values the podman and containerd presets replace with their
 * engine's. Docker needs no preset of its own: these lists are what the base spec (src/spec/base.ts) is built
 * from, so the default preset *is* docker's pipeline. In traces and `ctnr explain` the base spec's values are
 * owned by `ctnr:base` ("overrode ctnr:base"); writing them with `docker:*` plugins, as podman's and
 * containerd's are, would add an entry per value to every trace, so they stay in the base spec.
 */

/** Docker's 14 default capabilities (moby `caps.DefaultCapabilities`), in docker's order. */
export const DOCKER_DEFAULT_CAPS: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);

/** Docker 29 masked paths (the static part; per-CPU thermal_throttle entries depend on the host). */
export const DOCKER_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap',
  '/sys/firmware',
]);

export const DOCKER_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
]);

/** Docker's device cgroup rules: deny all, then allow zero, null, urandom, random, tty, console; 10:229 (fuse) denied. */
export const DOCKER_DEVICE_RULES: readonly Readonly<DeviceRule>[] = Object.freeze([
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
] as DeviceRule[]);
