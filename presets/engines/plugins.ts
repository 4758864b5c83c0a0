import { definePlugin } from '../../src/engine/define.js';
import { cleanDestination, mountIndex } from '../../src/spec/mounts.js';
import { escapePointerSegment, ops } from '../../src/engine/patch.js';
import type { DeepReadonly, DeviceRule, Mount } from '../../src/spec/types.js';
import type { BundleFile, Env, Operation, Plugin, PluginContext } from '../../src/engine/types.js';
import type { Service, VolumeMount } from '../../src/engine/service.js';
import { readGroup, readPasswd } from '../../src/linux/rootfs.js';
import { namespaceState } from '../../src/network/spec-facts.js';
import { hostBoundingSet } from '../../src/linux/env.js';
import { hostFact, type HostFacts } from './host.js';

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

// ------------------------------------------------------------------------------------------------------------
// Helpers and plugins the docker and podman presets share (each preset names its own instances).

/** Where a service's own mounts land, by kind (the compose rules for default targets included). */
export interface UserMountTargets {
  binds: Map<string, VolumeMount>;
  /** Named volumes. */
  volumes: Map<string, VolumeMount>;
  anonymous: Map<string, VolumeMount>;
  tmpfs: Set<string>;
  secrets: Set<string>;
  configs: Set<string>;
}

/** Per service object: the mount-option plugins ask once per mount. */
const targetsCache = new WeakMap<object, UserMountTargets>();

export function userMountTargets(service: Readonly<Service>): UserMountTargets {
  const cached = targetsCache.get(service);
  if (cached) return cached;
  const out: UserMountTargets = { binds: new Map(), volumes: new Map(), anonymous: new Map(), tmpfs: new Set(), secrets: new Set(), configs: new Set() };
  for (const v of service.volumes ?? []) {
    const target = cleanDestination(v.target);
    if (v.type === 'bind') out.binds.set(target, v);
    else if (v.type === 'volume') (v.source ? out.volumes : out.anonymous).set(target, v);
    else if (v.type === 'tmpfs') out.tmpfs.add(target);
  }
  for (const t of service.tmpfs ?? []) out.tmpfs.add(cleanDestination(t.target));
  for (const s of service.secrets ?? []) {
    const target = s.target ?? s.source;
    out.secrets.add(cleanDestination(target.startsWith('/') ? target : `/run/secrets/${target}`));
  }
  for (const c of service.configs ?? []) {
    const target = c.target ?? `/${c.source}`;
    out.configs.add(cleanDestination(target.startsWith('/') ? target : `/${target}`));
  }
  targetsCache.set(service, out);
  return out;
}

/**
 * Give mounts an engine's option list: `options(mount, ctx)` returns the new list for a mount it handles, or
 * undefined to leave the mount alone. One plugin per engine concern (`docker:etc-files`, `podman:user-mounts`), placed
 * after the ctnr plugin that wrote the mounts.
 */
export function mountOptionsPlugin(
  name: string,
  place: { stage: string; after: readonly string[] },
  options: (mount: DeepReadonly<Mount>, ctx: PluginContext) => readonly string[] | undefined,
): Plugin {
  return definePlugin({
    name,
    stage: place.stage,
    enforce: 'post',
    after: [...place.after],
    apply(ctx) {
      const out: Operation[] = [];
      (ctx.spec.mounts ?? []).forEach((m, i) => {
        const next = options(m, ctx);
        if (next === undefined) return;
        const same = next.length === (m.options ?? []).length && next.every((o, j) => o === m.options![j]);
        if (!same) out.push(ops.set(ctx.spec, `/mounts/${i}/options`, [...next]));
      });
      return out;
    },
  });
}

/**
 * `process.user.additionalGids` the way the engine computes them (runc's user lookup in the rootfs's
 * /etc/passwd and /etc/group, which both engines use):
 * - docker (moby `getUser`): the primary gid, then the groups that list the user as a member (only when
 *   `user` names no group), then `group_add`, duplicates kept;
 * - podman (libpod `generateSpec`): the primary gid when `user` is set, then `group_add`, then the member
 *   groups (only when `user` names no group), each gid once.
 * ctnr:user has already resolved uid and gid (and reported names it could not find); this plugin only
 * recomputes the list (rootful only).
 */
export function additionalGidsPlugin(name: string, style: 'docker' | 'podman'): Plugin {
  return definePlugin({
    name,
    stage: 'process',
    enforce: 'post',
    after: ['ctnr:user'],
    apply({ service, image, spec, env }) {
      const user = spec.process?.user;
      // Rootless: the user namespace maps few groups (runc cannot set unmapped ones); ctnr:user's list stands.
      if (!user || env.rootless) return [];
      const written = service.user !== undefined ? service.user : image?.User;
      const userSpec = written?.trim() ?? '';
      const [userPart = '', groupPart] = userSpec === '' ? ['0'] : userSpec.split(':', 2);
      const passwd = env.rootfs ? readPasswd(env.rootfs) ?? [] : [];
      const groups = env.rootfs ? readGroup(env.rootfs) ?? [] : [];
      const entry = /^\d+$/.test(userPart) ? passwd.find((p) => p.uid === Number(userPart)) : passwd.find((p) => p.name === userPart);
      const members = groupPart === undefined && entry ? groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid) : [];
      const added: number[] = [];
      for (const g of service.group_add ?? []) {
        const id = /^\d+$/.test(g) ? Number(g) : groups.find((e) => e.name === g)?.gid;
        if (id !== undefined) added.push(id);
      }
      let gids: number[];
      if (style === 'docker') gids = [user.gid, ...members, ...added];
      else gids = [...new Set([...(userSpec !== '' ? [user.gid] : []), ...added, ...members])];
      const current = user.additionalGids ?? [];
      if (gids.length === current.length && gids.every((g, i) => g === current[i])) return [];
      if (gids.length === 0) return [ops.remove('/process/user/additionalGids')];
      return [ops.set(spec, '/process/user/additionalGids', gids)];
    },
  });
}

/**
 * Environment variables the engine sets when the service does not: `values(ctx)` gives them in the engine's
 * order. Last in the network stage, where the hostname is known.
 */
export function envDefaultsPlugin(name: string, values: (ctx: PluginContext) => ReadonlyArray<readonly [string, string]>): Plugin {
  return definePlugin({
    name,
    stage: 'network',
    enforce: 'post',
    after: ['ctnr:hostname'],
    apply(ctx) {
      const env = ctx.spec.process?.env;
      if (!ctx.spec.process) return [];
      const have = new Set((env ?? []).map((e) => e.slice(0, e.indexOf('=') >>> 0)));
      const add = values(ctx).filter(([k]) => !have.has(k)).map(([k, v]) => `${k}=${v}`);
      if (add.length === 0) return [];
      return env === undefined ? [ops.add('/process/env', add)] : add.map((e) => ops.add('/process/env/-', e));
    },
  });
}

/** The hostname the engine gives a container that names none: ctnr:hostname's rule (the service name, or the replica's id). */
export function generatedHostname(ctx: Pick<PluginContext, 'serviceName' | 'service' | 'env'>): string {
  const replicas = ctx.service.scale ?? ctx.service.deploy?.replicas ?? 1;
  const id = ctx.env.containerId;
  return (replicas > 1 && typeof id === 'string' && id !== '' ? id : ctx.serviceName).slice(0, 64);
}

/**
 * Both engines give a container with host networking (and its own UTS namespace) the host's name, and write
 * /etc/hostname, /etc/hosts and /etc/resolv.conf as files of their own (copies of the host's) where ctnr binds
 * the host's files: the copies are made with the bundle (`copyFrom`), so the container sees the host's files as
 * they were when it was created, as with the engines. With `uts: host` the engines still bind an /etc/hostname
 * (the engine's name for the container). Mount options are left to the engine's etc-files plugin, which runs
 * after this one.
 */
export function engineEtcFilesPlugin(name: string, hostname: (ctx: PluginContext) => string): Plugin {
  // `hostname(ctx)`: the engine's name for the container (what it writes to /etc/hostname).
  return definePlugin({
    name,
    stage: 'network',
    enforce: 'post',
    after: ['ctnr:etc-files', 'ctnr:hostname'],
    apply(ctx) {
      const { spec, env } = ctx;
      const out: Operation[] = [];
      const files: BundleFile[] = [];
      const hostNet = namespaceState(spec, 'network') === 'host';
      const utsNew = namespaceState(spec, 'uts') === 'new';
      if (hostNet && utsNew && spec.hostname === undefined) out.push(ops.add('/hostname', hostname(ctx)));
      const hostFiles: Record<string, unknown> = { '/etc/hosts': env.hostHostsFile ?? '/etc/hosts', '/etc/resolv.conf': env.hostResolvConf ?? '/etc/resolv.conf' };
      (spec.mounts ?? []).forEach((m, i) => {
        const host = hostFiles[m.destination];
        if (typeof host === 'string' && m.type === 'bind' && m.source === host) {
          const copy = `${ETC_COPY_DIR}${m.destination.slice('/etc'.length)}`;
          files.push({ path: copy, copyFrom: host, mode: 0o644 });
          out.push(ops.replace(`/mounts/${i}/source`, copy));
        }
      });
      if (mountIndex(spec.mounts, '/etc/hostname') < 0 && (hostNet || !utsNew)) {
        const content = `${hostname(ctx)}\n`;
        files.push({ path: `${ETC_COPY_DIR}/hostname`, content, mode: 0o644 });
        const mount = { destination: '/etc/hostname', type: 'bind', source: `${ETC_COPY_DIR}/hostname`, options: ['rbind', 'rprivate'] };
        out.push(spec.mounts === undefined ? ops.add('/mounts', [mount]) : ops.add('/mounts/-', mount));
      }
      return { ops: out, files };
    },
  });
}

/** Where the engine-style /etc files go in the bundle (ctnr:etc-files writes `files/etc`). */
const ETC_COPY_DIR = 'files/etc';

/**
 * `ipc: host`: both engines bind the host's /dev/shm (ctnr's namespaces plugin keeps a tmpfs there).
 * `options` are the engine's bind options.
 */
export function hostShmPlugin(name: string, options: readonly string[]): Plugin {
  return definePlugin({
    name,
    stage: 'network',
    enforce: 'post',
    after: ['ctnr:namespaces'],
    apply({ service, spec }) {
      if (service.ipc?.trim() !== 'host') return [];
      const at = mountIndex(spec.mounts, '/dev/shm');
      if (at < 0 || (spec.mounts![at]!.type === 'bind' && spec.mounts![at]!.source === '/dev/shm')) return [];
      return [ops.replace(`/mounts/${at}`, { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: [...options] })];
    },
  });
}

/**
 * Whether the runtime can set an rlimit above the host's hard limit: root with CAP_SYS_RESOURCE in the host's
 * bounding set (`env.hostCapabilities`, else this process's, as for the other host facts).
 */
export function canRaiseLimits(env: Pick<Env, 'rootless' | 'hostCapabilities'>): boolean {
  if (env.rootless) return false;
  const caps = env.hostCapabilities ?? hostBoundingSet();
  return caps === undefined || caps.includes('CAP_SYS_RESOURCE');
}

export interface RlimitDefault {
  type: string;
  soft: number;
  hard: number;
}

/**
 * The engine's default rlimits, each added when the spec has none of that type (the service's `ulimits` win),
 * computed by `defaults(ctx)`. A value the host cannot honour (above the host's hard limit while the runtime
 * cannot raise it: rootless, or no CAP_SYS_RESOURCE in the host's bounding set) is clamped to the host's limit
 * with a warning, as podman 5 does (podman 4 clamps only rootless; the runtime then fails to start the
 * container). Last in the process stage, after ctnr:rlimits.
 */
export function rlimitDefaultsPlugin(name: string, host: HostFacts | undefined, defaults: (ctx: PluginContext) => readonly RlimitDefault[]): Plugin {
  return definePlugin({
    name,
    stage: 'process',
    enforce: 'post',
    after: ['ctnr:rlimits'],
    apply(ctx) {
      const { spec, env, warn } = ctx;
      if (!spec.process) return [];
      const have = new Set((spec.process.rlimits ?? []).map((r) => r.type));
      const add: RlimitDefault[] = [];
      const limits = hostFact(host, 'rlimits');
      for (const d of defaults(ctx)) {
        if (have.has(d.type)) continue;
        let { soft, hard } = d;
        const hostLimit = limits[d.type as keyof typeof limits];
        if (hostLimit && !canRaiseLimits(env)) {
          // podman: current (soft) at most the host's soft limit, max (hard) at most its hard limit.
          const maxHard = hostLimit.hard === 'unlimited' ? Infinity : hostLimit.hard;
          const maxSoft = Math.min(hostLimit.soft === 'unlimited' ? Infinity : hostLimit.soft, maxHard);
          if (hard > maxHard || soft > maxSoft) {
            const was = hard === soft ? String(hard) : `${soft}/${hard}`;
            hard = Math.min(hard, maxHard);
            soft = Math.min(soft, maxSoft, hard);
            const now = hard === soft ? String(hard) : `${soft}/${hard}`;
            warn(`${d.type} ${was} (the engine's default) is above this host's limit ${maxHard}, which the runtime cannot raise (${env.rootless ? 'rootless' : 'no CAP_SYS_RESOURCE'}): ${d.type} is ${now} instead`, ['ulimits']);
          }
        }
        add.push({ type: d.type, hard, soft });
      }
      if (add.length === 0) return [];
      return spec.process.rlimits === undefined ? [ops.add('/process/rlimits', add)] : add.map((r) => ops.add('/process/rlimits/-', r));
    },
  });
}

/** Annotations the engine writes (`values(ctx)`); a key the service sets through `annotations:`/`labels:` is left alone. */
export function engineAnnotationsPlugin(name: string, values: (ctx: PluginContext) => ReadonlyArray<readonly [string, string]>): Plugin {
  return definePlugin({
    name,
    stage: 'annotations',
    enforce: 'post',
    apply(ctx) {
      const list = values(ctx);
      if (list.length === 0) return [];
      const current = ctx.spec.annotations ?? {};
      const own = new Set([...Object.keys(ctx.service.annotations ?? {}), ...Object.keys(ctx.service.labels ?? {})]);
      const out: Operation[] = ctx.spec.annotations === undefined ? [ops.add('/annotations', {})] : [];
      for (const [k, v] of list) {
        if (own.has(k) || current[k] === v) continue;
        out.push(ops.add(`/annotations/${escapePointerSegment(k)}`, v));
      }
      return out.length === 1 && ctx.spec.annotations === undefined ? [] : out;
    },
  });
}
