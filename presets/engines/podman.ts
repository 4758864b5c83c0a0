import { shippedPreset } from '../../src/engine/reserved.js';
import { CtnrError } from '../../src/engine/errors.js';
import type { Plugin, Preset } from '../../src/engine/types.js';
import { capabilitiesPlugin } from '../../plugins/process/capabilities.js';
import { initPlugin } from '../../plugins/process/init.js';
import { seccompPlugin } from '../../plugins/seccomp/seccomp.js';
import { sysctlsPlugin } from '../../plugins/network/sysctls.js';
import { defaultPreset } from '../default.js';
import type { HostFacts } from './host.js';
import { hostFact } from './host.js';
import {
  additionalGidsPlugin, deviceRulesPlugin, engineAnnotationsPlugin, engineEtcFilesPlugin, envDefaultsPlugin, pidsLimitPlugin,
  rlimitDefaultsPlugin, systemPathsPlugin, umaskPlugin, type RlimitDefault,
} from './plugins.js';
import {
  PODMAN_INIT_DESTINATION, podman4DevPlugin, podmanContainerenvPlugin, podmanEtcFilesPlugin, podmanHome,
  podmanHostname, podmanInitMountPlugin, podmanReadOnlyTmpfsPlugin, podmanShmPlugin, podmanStopSignal, podmanSysctlsPlugin,
  podmanSystemMountsPlugin, podmanUserMountsPlugin, type PodmanVersion,
} from './podman-plugins.js';
import { engineSeccomp } from './seccomp.js';

export type { PodmanVersion } from './podman-plugins.js';
export const PODMAN_VERSIONS: readonly PodmanVersion[] = [4, 5];

/** containers-common `DefaultCapabilities` (podman 4 and 5): docker's 14 without AUDIT_WRITE, MKNOD, NET_RAW. */
export const PODMAN_DEFAULT_CAPS: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
  'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
]);

/**
 * Podman 5's masked paths (go.podman.io/common v0.67 `getMaskedPaths`, and libpod's `addMaskedPaths` adds powercap),
 * static part: podman also masks every /sys/devices/system/cpu/cpu*\/thermal_throttle, a glob it expands on the
 * host at run time (left out here, as docker's per-CPU entries are left out of the default preset).
 */
export const PODMAN_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug', '/proc/scsi',
  '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware', '/sys/fs/selinux',
  '/proc/interrupts',
]);

/** Podman 4.3's masked paths (pkg/specgen/generate/config_linux.go `BlockAccessToKernelFilesystems`, v4.3.1). */
export const PODMAN_4_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block',
]);

/** Podman moves /proc/asound from masked to read-only (4 and 5). */
export const PODMAN_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
]);

export const PODMAN_PIDS_LIMIT = 2048;
export const PODMAN_UMASK = 0o022;
/** libpod `define.RLimitDefaultValue`: RLIMIT_NOFILE and RLIMIT_NPROC when the service sets none. */
export const PODMAN_RLIMIT_DEFAULT = 1048576;

export interface PodmanPresetOptions {
  /** Which podman to reproduce: 5 (default, podman 5.8) or 4 (4.3.1, Debian 12's podman). */
  version?: PodmanVersion;
  /** Facts of the host that will run the bundle (pid_max, rlimits, hostname); read from this machine when not given. */
  host?: HostFacts;
}

/**
 * The default rlimits (libpod): RLIMIT_NOFILE and RLIMIT_NPROC 1048576 each when the service sets neither.
 * Podman 4 (`pkg/specgen/generate/oci.go` addRlimits with containers.conf's default ulimits, containers/common
 * v0.50 `getDefaultProcessLimits`): with no `ulimits` at all RLIMIT_NPROC is the host's pid_max instead. Both are
 * clamped to what the host allows (rlimitDefaultsPlugin).
 */
function podmanRlimits(version: PodmanVersion, host: HostFacts | undefined) {
  return ({ service }: { service: { ulimits?: Readonly<Record<string, unknown>> } }): RlimitDefault[] => {
    const none = Object.keys(service.ulimits ?? {}).length === 0;
    const nproc = version === 4 && none ? hostFact(host, 'pidMax') : PODMAN_RLIMIT_DEFAULT;
    return [
      { type: 'RLIMIT_NOFILE', soft: PODMAN_RLIMIT_DEFAULT, hard: PODMAN_RLIMIT_DEFAULT },
      { type: 'RLIMIT_NPROC', soft: nproc, hard: nproc },
    ];
  };
}

/**
 * The default pipeline as podman itself generates specs (rootful), for podman 5.8 (default) or podman 4.3.1:
 * podman's plugins (podman-plugins.ts) on top of `default`. Swapped ctnr plugins keep their place: capabilities
 * (podman's 11, and a non-root user keeps its `cap_add` capabilities as ambient ones), init (catatonit at
 * /run/podman-init), seccomp (containers-common's profile), sysctls (containers.conf's default_sysctls instead of
 * docker's). What still differs from the config.json podman 4.3.1 wrote for the parity corpus is listed, with the
 * reason, in docs/presets.md ("Parity with the engines"); what differs between 4 and 5 is taken from podman's and
 * containers/common's source at the tags named there.
 */
export function podmanPreset(options: PodmanPresetOptions = {}): Preset {
  const version = options.version ?? 5;
  if (!PODMAN_VERSIONS.includes(version)) {
    throw new CtnrError('PLUGIN_OPTIONS', `options.version: must be one of ${PODMAN_VERSIONS.join(', ')} (got ${JSON.stringify(version)})`, { plugin: 'ctnr:preset-podman' });
  }
  const host = options.host;
  const hostname = podmanHostname(host);
  const plugins: Plugin[] = [
    capabilitiesPlugin({ defaults: [...PODMAN_DEFAULT_CAPS], ambientForNonRoot: true }),
    initPlugin({ names: ['catatonit', 'tini', 'tini-static', 'docker-init'], destination: PODMAN_INIT_DESTINATION }),
    seccompPlugin({ defaultProfile: engineSeccomp(version === 4 ? 'podman-4.3' : 'podman-5.8') }),
    sysctlsPlugin({ networkDefaults: false }),
    systemPathsPlugin('podman:system-paths', { masked: version === 4 ? PODMAN_4_MASKED_PATHS : PODMAN_MASKED_PATHS, readonly: PODMAN_READONLY_PATHS }),
    deviceRulesPlugin('podman:device-rules', [{ allow: false, access: 'rwm' }]),
    pidsLimitPlugin('podman:pids-limit', PODMAN_PIDS_LIMIT),
    umaskPlugin('podman:umask', PODMAN_UMASK),
    additionalGidsPlugin('podman:additional-gids', 'podman'),
    rlimitDefaultsPlugin('podman:rlimits', host, podmanRlimits(version, host)),
    podmanInitMountPlugin(),
    podmanUserMountsPlugin(),
    podmanReadOnlyTmpfsPlugin(),
    podmanSystemMountsPlugin(),
    podmanShmPlugin(),
    engineEtcFilesPlugin('podman:host-files', hostname),
    podmanContainerenvPlugin(version),
    podmanEtcFilesPlugin(),
    podmanSysctlsPlugin(),
    // containers.conf `env` (PATH, TERM=xterm), `container=podman`, HOME from /etc/passwd, HOSTNAME.
    envDefaultsPlugin('podman:env', (ctx) => [['TERM', 'xterm'], ['container', 'podman'], ['HOME', podmanHome(ctx)], ['HOSTNAME', hostname(ctx)]]),
    engineAnnotationsPlugin('podman:annotations', (ctx) => podmanAnnotations(version, ctx)),
  ];
  if (version === 4) plugins.push(podman4DevPlugin());
  return shippedPreset({ name: 'ctnr:preset-podman', presets: [defaultPreset()], plugins });
}

/**
 * The annotations libpod writes. Podman 4.3 (`SpecGenToOCI`, `specgenutil`) also writes its flags when false
 * (`…autoremove`, `…init`, `…privileged`, `…publish-all` = FALSE) and `io.kubernetes.cri-o.TTY`; podman 5 writes
 * a flag only when it is set ("Stop recording annotations set to false") and no TTY annotation, but records
 * `pids_limit` and `cpuset` (`specgenutil.FillOutSpecGen`).
 */
function podmanAnnotations(version: PodmanVersion, ctx: Parameters<typeof podmanStopSignal>[0]): Array<[string, string]> {
  const { service, spec } = ctx;
  const flag = (on: boolean) => (on ? 'TRUE' : 'FALSE');
  const out: Array<[string, string]> = [
    ['io.container.manager', 'libpod'],
    ['org.opencontainers.image.stopSignal', podmanStopSignal(ctx)],
  ];
  const seccomp = (service.security_opt ?? []).find((o) => o.key === 'seccomp');
  if (seccomp !== undefined) {
    const value = ['unconfined', 'default', 'builtin'].includes(seccomp.value) || seccomp.value.startsWith('/') ? seccomp.value : `${ctx.source.dir}/${seccomp.value.replace(/^\.\//, '')}`;
    out.push(['io.podman.annotations.seccomp', value]);
  }
  if (version === 4) {
    out.push(
      ['io.kubernetes.cri-o.TTY', spec.process?.terminal === true ? 'true' : 'false'],
      ['io.podman.annotations.autoremove', 'FALSE'],
      ['io.podman.annotations.init', flag(service.init === true)],
      ['io.podman.annotations.privileged', flag(service.privileged === true)],
      ['io.podman.annotations.publish-all', 'FALSE'],
    );
  } else {
    if (service.init === true) out.push(['io.podman.annotations.init', 'TRUE']);
    if (service.privileged === true) out.push(['io.podman.annotations.privileged', 'TRUE']);
    if (service.pids_limit !== undefined) out.push(['io.podman.annotations.pids-limit', String(service.pids_limit)]);
    if (service.cpuset !== undefined) out.push(['io.podman.annotations.cpuset', service.cpuset]);
  }
  return out;
}
