import { definePlugin } from '../../src/engine/define.js';
import { mountIndex } from '../../src/spec/mounts.js';
import { ops } from '../../src/engine/patch.js';
import type { DeviceRule, Mount } from '../../src/spec/types.js';
import type { Operation, Plugin } from '../../src/engine/types.js';

/**
 * Small plugins the engine-compatible presets (podman, containerd) use to move docker's defaults (the base
 * spec and the default preset) to another engine's. Each writes one default and leaves the user's own keys
 * to the plugins that read them, which run after it. Named after the engine (`podman:system-paths`) so the
 * trace says which engine's default a value is.
 */

/**
 * The masked and read-only /proc and /sys lists. First in the mounts stage (`pre`), so `security_opt`
 * mask/unmask/systempaths (ctnr:masked-paths) and `privileged` still apply on top.
 */
export function systemPathsPlugin(name: string, lists: { masked: readonly string[]; readonly: readonly string[] }): Plugin {
  return definePlugin({
    name,
    stage: 'mounts',
    enforce: 'pre',
    apply({ spec }) {
      return [
        ...ops.ensureParents(spec, '/linux/maskedPaths'),
        ops.set(spec, '/linux/maskedPaths', [...lists.masked]),
        ops.set(spec, '/linux/readonlyPaths', [...lists.readonly]),
      ];
    },
  });
}

/**
 * A default `linux.resources.pids.limit` when the service sets none (`pids_limit`, `deploy.resources.limits.pids`).
 * First in the cgroups stage, so the cgroups plugins can still change it; nothing when the spec has no
 * `linux.resources` (rootless: the rootless stage removed what an unprivileged user cannot set).
 */
export function pidsLimitPlugin(name: string, limit: number): Plugin {
  return definePlugin({
    name,
    stage: 'cgroups',
    enforce: 'pre',
    apply({ service, spec, env }) {
      const s = service as { pids_limit?: unknown; deploy?: { resources?: { limits?: { pids?: unknown } } } };
      if (env.rootless || !spec.linux?.resources) return [];
      if (s.pids_limit !== undefined || s.deploy?.resources?.limits?.pids !== undefined) return [];
      return [ops.set(spec, '/linux/resources/pids', { limit })];
    },
  });
}

/** `noNewPrivileges: true` by default; first in the process stage so `security_opt: no-new-privileges:false` still wins. */
export function noNewPrivilegesPlugin(name: string): Plugin {
  return definePlugin({
    name,
    stage: 'process',
    enforce: 'pre',
    apply: ({ spec }) => (spec.process ? [ops.set(spec, '/process/noNewPrivileges', true)] : []),
  });
}

/** `process.user.umask` when nothing set one. Last in the process stage: the user plugin rewrites `process.user`. */
export function umaskPlugin(name: string, umask: number): Plugin {
  return definePlugin({
    name,
    stage: 'process',
    enforce: 'post',
    apply: ({ spec }) => (spec.process && spec.process.user.umask === undefined ? [ops.add('/process/user/umask', umask)] : []),
  });
}

/** An RLIMIT_NOFILE default when the service's `ulimits` set none. Last in the process stage, after ctnr:rlimits. */
export function nofileRlimitPlugin(name: string, soft: number, hard: number): Plugin {
  return definePlugin({
    name,
    stage: 'process',
    enforce: 'post',
    apply({ spec }) {
      if (!spec.process) return [];
      const list = spec.process.rlimits;
      if (list?.some((r) => r.type === 'RLIMIT_NOFILE')) return [];
      const value = { type: 'RLIMIT_NOFILE', hard, soft };
      return [list ? ops.add('/process/rlimits/-', value) : ops.add('/process/rlimits', [value])];
    },
  });
}

/**
 * An engine mount (e.g. containerd's `/run` tmpfs). First in the mounts stage, so a user mount on the same
 * destination replaces it and `read_only` treats it as an engine mount.
 */
export function engineMountPlugin(name: string, mount: Mount): Plugin {
  return definePlugin({
    name,
    stage: 'mounts',
    enforce: 'pre',
    apply({ spec }) {
      if (mountIndex(spec.mounts, mount.destination) >= 0) return [];
      const value = { ...mount, options: [...(mount.options ?? [])] };
      return [spec.mounts ? ops.add('/mounts/-', value) : ops.add('/mounts', [value])];
    },
  });
}

/**
 * The device cgroup's default rules. In the mounts stage on purpose: after the rootless stage (which removes
 * `linux.resources` for an unprivileged user) and before privileged (which allows every device) and cgroups
 * (which adds the service's `devices` and `device_cgroup_rules`).
 */
export function deviceRulesPlugin(name: string, rules: readonly DeviceRule[]): Plugin {
  return definePlugin({
    name,
    stage: 'mounts',
    enforce: 'pre',
    apply({ spec }) {
      if (!spec.linux?.resources) return [];
      const out: Operation[] = [ops.set(spec, '/linux/resources/devices', rules.map((r) => ({ ...r })))];
      return out;
    },
  });
}
