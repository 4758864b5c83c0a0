import type { DeviceRule } from '../../src/spec/types.js';
import { ALL_CAPABILITIES } from '../../src/linux/capabilities.js';

/**
 * Docker's defaults (moby 29, PEERS.md §3), the values the podman and containerd presets replace with their
 * engine's. These lists are what the base spec (presets/engines/docker-base.ts) is built from, so the default
 * preset starts from docker's values; in traces and `ctnr explain` the base spec's values are owned by
 * `ctnr:base` ("overrode ctnr:base"). The `docker` preset (docker-preset.ts) goes further: it reproduces what
 * dockerd itself writes, version by version (docs/presets.md "Parity with the engines"). This module holds data
 * only: ctnr:capabilities imports it, so it must not import the plugins.
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

/** Docker 20.10's masked paths (moby v20.10.24 `oci/defaults.go`): no /proc/interrupts, no powercap yet. */
export const DOCKER_20_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
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

/**
 * Docker 20.10's capability list for `privileged` (moby v20.10.24 `oci/caps/utils.go`): every capability up to
 * CAP_AUDIT_READ; it leaves out CAP_PERFMON, CAP_BPF and CAP_CHECKPOINT_RESTORE because the runc of its day
 * did not know them. Docker 29 takes the daemon's own capabilities (`caps.GetAllCapabilities` →
 * containerd's `cap.Current`), which is what ctnr:privileged does with the host's bounding set.
 */
export const DOCKER_20_PRIVILEGED_CAPS: readonly string[] = Object.freeze(
  // The kernel's list up to CAP_AUDIT_READ (37): the three after it came with Linux 5.8/5.9.
  ALL_CAPABILITIES.slice(0, ALL_CAPABILITIES.indexOf('CAP_AUDIT_READ') + 1),
);

/** The docker versions the docker preset (presets/engines/docker-preset.ts) reproduces: 20 (20.10, Debian 12's docker.io) and 29 (current). */
export type DockerVersion = 20 | 29;
export const DOCKER_VERSIONS: readonly DockerVersion[] = [20, 29];
