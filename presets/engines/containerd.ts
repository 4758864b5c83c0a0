import { shippedPreset } from '../../src/engine/reserved.js';
import type { DeviceRule } from '../../src/spec/types.js';
import type { Preset } from '../../src/engine/types.js';
import { defaultPreset } from '../default.js';
import { deviceRulesPlugin, engineMountPlugin, noNewPrivilegesPlugin, nofileRlimitPlugin, systemPathsPlugin } from './plugins.js';

/** containerd 2 (`oci.populateDefaultUnixSpec`): runc's list plus /sys/devices/virtual/powercap. */
export const CONTAINERD_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/sys/devices/virtual/powercap',
]);

export const CONTAINERD_READONLY_PATHS: readonly string[] = Object.freeze(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);

/** `WithDefaultUnixDevices`: deny all, then null, zero, full, tty, random, urandom, console, pts, ptmx. */
export const CONTAINERD_DEVICE_RULES: readonly DeviceRule[] = Object.freeze([
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
] as DeviceRule[]);

export const CONTAINERD_RUN_MOUNT = Object.freeze({
  destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
});

/**
 * The default pipeline with containerd 2's defaults (PEERS.md §3): docker's 14 capabilities (unchanged),
 * runc's masked paths plus powercap, `noNewPrivileges: true`, RLIMIT_NOFILE 1024/1024, a `/run` tmpfs and
 * containerd's device rules. Left as in the default preset: a cgroups-stage `/sys/fs/cgroup` mount (containerd
 * has none), and under `read_only` the `/run` tmpfs becomes read-only with the other engine mounts.
 */
export function containerdPreset(): Preset {
  return shippedPreset({
    name: 'ctnr:preset-containerd',
    presets: [defaultPreset()],
    plugins: [
      systemPathsPlugin('containerd:system-paths', { masked: CONTAINERD_MASKED_PATHS, readonly: CONTAINERD_READONLY_PATHS }),
      noNewPrivilegesPlugin('containerd:no-new-privileges'),
      nofileRlimitPlugin('containerd:rlimits', 1024, 1024),
      engineMountPlugin('containerd:run-tmpfs', { ...CONTAINERD_RUN_MOUNT, options: [...CONTAINERD_RUN_MOUNT.options] }),
      deviceRulesPlugin('containerd:device-rules', CONTAINERD_DEVICE_RULES),
    ],
  });
}
