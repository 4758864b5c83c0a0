import { definePreset } from '../../src/engine/define.js';
import type { Preset } from '../../src/engine/types.js';
import { capabilitiesPlugin } from '../../plugins/process/capabilities.js';
import { defaultPreset } from '../default.js';
import { pidsLimitPlugin, systemPathsPlugin, umaskPlugin } from './plugins.js';

/** containers-common `DefaultCapabilities` (podman 5): docker's 14 without AUDIT_WRITE, MKNOD, NET_RAW. */
export const PODMAN_DEFAULT_CAPS: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
  'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
]);

/**
 * Podman's masked paths (containers-common), static part: podman also masks every
 * /sys/devices/system/cpu/cpu*\/thermal_throttle, a glob it expands on the host at run time (left out here, as
 * docker's per-CPU entries are left out of the default preset).
 */
export const PODMAN_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug', '/proc/scsi',
  '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware', '/sys/fs/selinux',
  '/proc/interrupts',
]);

/** Podman moves /proc/asound from masked to read-only. */
export const PODMAN_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
]);

export const PODMAN_PIDS_LIMIT = 2048;
export const PODMAN_UMASK = 0o022;

/**
 * The default pipeline with podman 5's defaults (PEERS.md §3): 11 capabilities, and podman's rule that a
 * non-root user keeps its `cap_add` capabilities as ambient ones (ctnr:capabilities swapped with new options:
 * same name, so it keeps its place); podman's masked/read-only lists; pids limit 2048 (rootful); umask 0022.
 * Same as docker: noNewPrivileges false, /dev/shm a 64 MiB tmpfs (podman binds a per-container tmpfs there;
 * the mount the container sees has the same options).
 */
export function podmanPreset(): Preset {
  return definePreset({
    name: 'ctnr:preset-podman',
    presets: [defaultPreset()],
    plugins: [
      capabilitiesPlugin({ defaults: [...PODMAN_DEFAULT_CAPS], ambientForNonRoot: true }),
      systemPathsPlugin('podman:system-paths', { masked: PODMAN_MASKED_PATHS, readonly: PODMAN_READONLY_PATHS }),
      pidsLimitPlugin('podman:pids-limit', PODMAN_PIDS_LIMIT),
      umaskPlugin('podman:umask', PODMAN_UMASK),
    ],
  });
}
