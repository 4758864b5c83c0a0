import path from 'node:path';
import { normaliseCapability, sortCapabilities } from '../linux/capabilities.js';
import { pointer } from '../engine/patch.js';
import type { PortMapping, Service } from '../engine/service.js';
import type { ReadonlySpec } from '../spec/types.js';
import type { Env, TraceEntry } from '../engine/types.js';

/**
 * The security controls of the `baseline` and `restricted` presets: the Kubernetes Pod Security Standards
 * (PEERS.md §6) mapped onto the fields of an OCI runtime spec. Each control reads the FINAL spec (after every
 * mutator) and, only where the spec cannot say it, the compose service (`ports`, `cap_add`). docs/policy.md
 * has the same table for people; `CONTROLS` is the single source.
 */

/** The Pod Security Standards levels, and `images`: ctnr's image provenance controls (./image-controls.ts). */
export type ControlLevel = 'baseline' | 'restricted' | 'images';

export interface ControlOptions {
  /** Host paths (a bind source equal to or below one of them) that `hostPathVolumes` accepts. */
  allowedHostPaths?: readonly string[];
  /** `capabilities`: judge CAP_NET_RAW even when it is the engine default rather than a `cap_add`. */
  strictCapabilities?: boolean;
  /**
   * Plugins whose host binds are engine-managed, not the service's host paths (default: ctnr:init's init
   * binary, ctnr:etc-files' host /etc files, ctnr:rootless' kernel filesystems).
   */
  engineBindPlugins?: readonly string[];
  /** `imageRegistries`: the repositories images may come from, as `registry/repository` globs (`registry.internal/*`). */
  allowedImages?: readonly string[];
  /** `imageDigest` judges only when this is true. */
  requireDigest?: boolean;
}

export const DEFAULT_ENGINE_BIND_PLUGINS: readonly string[] = Object.freeze(['ctnr:init', 'ctnr:etc-files', 'ctnr:rootless']);

export interface ControlInput {
  spec: ReadonlySpec;
  service: Readonly<Service>;
  env: Readonly<Env>;
  options: ControlOptions;
  /** The pipeline's trace (who introduced a value). */
  trace: readonly TraceEntry[];
}

export interface Finding {
  /** JSON pointer of the offending value (the engine looks up which plugin set it). */
  pointer: string;
  message: string;
}

export interface Control {
  id: string;
  level: ControlLevel;
  /** The Pod Security Standards check it models. */
  pss: string;
  /** What it checks, in one sentence (docs/policy.md repeats it). */
  checks: string;
  check(input: ControlInput): Finding[];
}

/** PSS baseline's allowed capabilities: docker's 14 minus CAP_NET_RAW. */
export const BASELINE_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
]);

/** PSS restricted: drop ALL, add back at most this one. */
export const RESTRICTED_CAPABILITIES: readonly string[] = Object.freeze(['CAP_NET_BIND_SERVICE']);

/** PSS baseline's allowed sysctls (all versions up to 1.36). */
export const SAFE_SYSCTLS: readonly string[] = Object.freeze([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);

/** SELinux types PSS baseline accepts (container_engine_t since 1.31). */
export const SAFE_SELINUX_TYPES: readonly string[] = Object.freeze(['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

/**
 * procMount "Default" in OCI terms: the /proc and /sys paths every engine masks (docker, podman, containerd
 * and runc agree on these) and the five read-only ones. /proc/asound is masked by docker and read-only in
 * podman: either is accepted.
 */
export const REQUIRED_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
]);
export const REQUIRED_READONLY_PATHS: readonly string[] = Object.freeze(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);

/** Mount types a restricted service may have: the engine's kernel filesystems, tmpfs, and binds (judged by hostPathVolumes). */
export const RESTRICTED_MOUNT_TYPES: readonly string[] = Object.freeze(['bind', 'tmpfs', 'proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2']);

/** Kernel filesystems a rootless spec binds from the host at the same place (it cannot mount them itself). */
const SYSTEM_BINDS = new Set(['/sys', '/sys/fs/cgroup']);

const CAP_SETS = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;

function isBind(m: { type?: string; options?: readonly string[] }): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/**
 * The plugin that first wrote a mount with this destination and source (an op adding it alone, or a list
 * containing it: plugins that sort the mounts rewrite the whole list later, so the first writer is the author).
 */
function mountAuthor(trace: readonly TraceEntry[], m: { destination: string; source?: string }): string | undefined {
  for (const t of trace) {
    if (!t.pointer.startsWith('/mounts') || (t.op.op !== 'add' && t.op.op !== 'replace')) continue;
    const v = (t.op as { value?: unknown }).value;
    const list = Array.isArray(v) ? v : [v];
    if (list.some((x) => x && typeof x === 'object' && (x as { destination?: unknown }).destination === m.destination && (x as { source?: unknown }).source === m.source)) return t.plugin;
  }
  return undefined;
}

function under(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Capabilities of each set outside `allowed`, one finding per set that has some. */
function capabilityFindings(spec: ReadonlySpec, allowed: (cap: string) => boolean, what: string): Finding[] {
  const caps = spec.process?.capabilities;
  if (!caps) return [];
  const out: Finding[] = [];
  for (const set of CAP_SETS) {
    const extra = sortCapabilities((caps[set] ?? []).filter((c) => !allowed(c)));
    if (extra.length > 0) out.push({ pointer: `/process/capabilities/${set}`, message: `${set} set has ${extra.join(', ')} (${what})` });
  }
  return out;
}

/** `user:role:type:level` → its parts (the level may itself contain colons). */
function selinuxParts(label: string): { user?: string; role?: string; type?: string } {
  const [user, role, type] = label.split(':');
  return { user, role, type };
}

const SECCOMP_PERMISSIVE = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);

export const CONTROLS: readonly Control[] = [
  {
    id: 'hostNamespaces',
    level: 'baseline',
    pss: 'Host Namespaces (hostNetwork, hostPID, hostIPC)',
    checks: '`linux.namespaces` has `pid`, `network` and `ipc` entries, none joining a host namespace (`path` under /proc/1/ns or /proc/self/ns).',
    check({ spec }) {
      const list = spec.linux?.namespaces ?? [];
      const out: Finding[] = [];
      for (const type of ['pid', 'network', 'ipc'] as const) {
        const i = list.findIndex((n) => n.type === type);
        if (i < 0) out.push({ pointer: '/linux/namespaces', message: `no ${type} namespace: the container shares the host's` });
        else if (/^\/proc\/(1|self)\/ns\//.test(list[i]!.path ?? '')) {
          out.push({ pointer: `/linux/namespaces/${i}/path`, message: `joins the host's ${type} namespace (${list[i]!.path})` });
        }
      }
      return out;
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    pss: 'Privileged Containers',
    checks: 'no device cgroup rule allows every device, and `/sys` and `/sys/fs/cgroup` are mounted `ro` (what `privileged: true` undoes).',
    check({ spec }) {
      const out: Finding[] = [];
      (spec.linux?.resources?.devices ?? []).forEach((r, i) => {
        if (r.allow && (r.type === undefined || r.type === 'a') && r.major === undefined && r.minor === undefined) {
          out.push({ pointer: `/linux/resources/devices/${i}`, message: 'the device cgroup allows every device' });
        }
      });
      (spec.mounts ?? []).forEach((m, i) => {
        if ((m.destination === '/sys' || m.destination === '/sys/fs/cgroup') && !(m.options ?? []).includes('ro')) {
          out.push({ pointer: `/mounts/${i}/options`, message: `${m.destination} is mounted writable` });
        }
      });
      return out;
    },
  },
  {
    id: 'capabilities',
    level: 'baseline',
    pss: 'Capabilities (baseline)',
    checks: 'every capability set holds only the 13 PSS baseline capabilities; CAP_NET_RAW (docker\'s default) is judged only when `cap_add` asks for it, unless `strictCapabilities`.',
    check({ spec, service, options }) {
      const added = new Set((service.cap_add ?? []).map((c) => normaliseCapability(c)));
      const netRawOk = !options.strictCapabilities && !added.has('CAP_NET_RAW') && !added.has('ALL');
      return capabilityFindings(spec, (c) => BASELINE_CAPABILITIES.includes(c) || (c === 'CAP_NET_RAW' && netRawOk), 'beyond the PSS baseline set');
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    pss: 'HostPath Volumes',
    checks: 'no bind mount has an absolute host source, except named volumes under the data dir, `allowedHostPaths`, the kernel filesystems a rootless spec binds in place, and binds made by the engine plugins in `engineBindPlugins` (the init binary, host /etc files).',
    check({ spec, env, options, trace }) {
      // env.engineManagedDirs: in spec mode, the directories the engine binds its own files from (src/runtime-shim/container.ts).
      const allowed = [env.dataDir, ...(options.allowedHostPaths ?? []), ...(env.engineManagedDirs ?? [])];
      const engine = options.engineBindPlugins ?? DEFAULT_ENGINE_BIND_PLUGINS;
      const out: Finding[] = [];
      (spec.mounts ?? []).forEach((m, i) => {
        const src = m.source ?? '';
        if (!isBind(m) || !src.startsWith('/')) return;
        if (SYSTEM_BINDS.has(src) && src === m.destination) return;
        if (allowed.some((dir) => under(src, dir))) return;
        const author = mountAuthor(trace, m);
        if (author !== undefined && engine.includes(author)) return;
        out.push({ pointer: `/mounts/${i}/source`, message: `binds host path ${src} at ${m.destination}` });
      });
      return out;
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    pss: 'Host Ports',
    checks: 'the service publishes no port on the host (compose `ports:`; no OCI field carries them, so this reads the service).',
    check({ service }) {
      const ports = (service.ports ?? []) as readonly PortMapping[];
      return ports.map((p, i) => ({
        pointer: '',
        message: `ports[${i}]: publishes container port ${p.target}/${p.protocol ?? 'tcp'} on ${p.published === undefined ? 'an ephemeral host port' : `host port ${p.published}`}`,
      }));
    },
  },
  {
    id: 'apparmor',
    level: 'baseline',
    pss: 'AppArmor',
    checks: '`process.apparmorProfile` is not `unconfined`.',
    check({ spec }) {
      return spec.process?.apparmorProfile === 'unconfined' ? [{ pointer: '/process/apparmorProfile', message: 'AppArmor profile is unconfined' }] : [];
    },
  },
  {
    id: 'selinux',
    level: 'baseline',
    pss: 'SELinux',
    checks: '`process.selinuxLabel` has a container type (container_t, container_init_t, container_kvm_t, container_engine_t) and the default user and role (system_u, system_r).',
    check({ spec }) {
      const label = spec.process?.selinuxLabel;
      if (!label) return [];
      const { user, role, type } = selinuxParts(label);
      const out: Finding[] = [];
      if (!type || !SAFE_SELINUX_TYPES.includes(type)) out.push({ pointer: '/process/selinuxLabel', message: `SELinux type "${type ?? ''}" is not one of ${SAFE_SELINUX_TYPES.join(', ')}` });
      if (user !== 'system_u' || role !== 'system_r') out.push({ pointer: '/process/selinuxLabel', message: `SELinux user and role must stay system_u:system_r, got ${user ?? ''}:${role ?? ''}` });
      return out;
    },
  },
  {
    id: 'seccomp',
    level: 'baseline',
    pss: 'Seccomp (baseline: not Unconfined)',
    checks: '`linux.seccomp` is present and is not an allow-everything filter (default action SCMP_ACT_ALLOW with no rules).',
    check({ spec }) {
      const s = spec.linux?.seccomp;
      if (!s) return [{ pointer: '/linux/seccomp', message: 'no seccomp filter: the container is unconfined' }];
      if (s.defaultAction === 'SCMP_ACT_ALLOW' && (s.syscalls ?? []).length === 0) return [{ pointer: '/linux/seccomp/defaultAction', message: 'the seccomp filter allows every syscall' }];
      return [];
    },
  },
  {
    id: 'sysctls',
    level: 'baseline',
    pss: 'Sysctls',
    checks: 'every key of `linux.sysctl` is one of the PSS safe sysctls.',
    check({ spec }) {
      return Object.keys(spec.linux?.sysctl ?? {})
        .filter((k) => !SAFE_SYSCTLS.includes(k))
        .sort()
        .map((k) => ({ pointer: pointer('linux', 'sysctl', k), message: `sysctl ${k} is not in the safe set` }));
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    pss: '/proc Mount Type (Default)',
    checks: '`linux.maskedPaths` and `linux.readonlyPaths` keep the paths every engine protects (/proc/asound masked or read-only), and `/proc` is a `proc` mount, not a bind of the host\'s.',
    check({ spec }) {
      const masked = spec.linux?.maskedPaths ?? [];
      const readonly = spec.linux?.readonlyPaths ?? [];
      const out: Finding[] = [];
      const missingMasked = REQUIRED_MASKED_PATHS.filter((p) => !masked.includes(p));
      if (!masked.includes('/proc/asound') && !readonly.includes('/proc/asound')) missingMasked.push('/proc/asound');
      if (missingMasked.length > 0) out.push({ pointer: '/linux/maskedPaths', message: `not masked: ${missingMasked.join(', ')}` });
      const missingRo = REQUIRED_READONLY_PATHS.filter((p) => !readonly.includes(p));
      if (missingRo.length > 0) out.push({ pointer: '/linux/readonlyPaths', message: `not read-only: ${missingRo.join(', ')}` });
      (spec.mounts ?? []).forEach((m, i) => {
        if (m.destination === '/proc' && m.type !== 'proc') out.push({ pointer: `/mounts/${i}`, message: `/proc is a ${m.type ?? 'bind'} mount (of ${m.source ?? '?'}), not a proc mount of its own` });
      });
      return out;
    },
  },
  {
    id: 'volumeTypes',
    level: 'restricted',
    pss: 'Volume Types',
    checks: `every mount's type is one of ${RESTRICTED_MOUNT_TYPES.join(', ')} (named volumes, tmpfs, secrets and configs; no network or block filesystems).`,
    check({ spec }) {
      const out: Finding[] = [];
      (spec.mounts ?? []).forEach((m, i) => {
        const type = m.type ?? (isBind(m) ? 'bind' : '');
        if (!RESTRICTED_MOUNT_TYPES.includes(type)) out.push({ pointer: `/mounts/${i}/type`, message: `${m.destination} is a "${type}" mount` });
      });
      return out;
    },
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    pss: 'Privilege Escalation (allowPrivilegeEscalation: false)',
    checks: '`process.noNewPrivileges` is true.',
    check({ spec }) {
      return spec.process?.noNewPrivileges === true ? [] : [{ pointer: '/process/noNewPrivileges', message: 'no-new-privileges is not set: setuid binaries can gain privileges' }];
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    pss: 'Running as Non-root (runAsNonRoot, runAsUser ≠ 0)',
    checks: '`process.user.uid` is not 0, unless a user namespace maps container uid 0 to a host uid other than 0.',
    check({ spec }) {
      if ((spec.process?.user.uid ?? 0) !== 0) return [];
      const userns = (spec.linux?.namespaces ?? []).some((n) => n.type === 'user');
      const root = (spec.linux?.uidMappings ?? []).find((m) => m.containerID <= 0 && 0 < m.containerID + m.size);
      if (userns && root && root.hostID !== 0) return [];
      return [{ pointer: '/process/user/uid', message: 'the process runs as root (uid 0) on the host' }];
    },
  },
  {
    id: 'seccompRequired',
    level: 'restricted',
    pss: 'Seccomp (restricted: RuntimeDefault or Localhost)',
    checks: '`linux.seccomp` is present and its default action refuses (not SCMP_ACT_ALLOW or SCMP_ACT_LOG): an allow-list profile.',
    check({ spec }) {
      const s = spec.linux?.seccomp;
      if (!s) return [{ pointer: '/linux/seccomp', message: 'a seccomp profile is required' }];
      if (SECCOMP_PERMISSIVE.has(s.defaultAction)) return [{ pointer: '/linux/seccomp/defaultAction', message: `the seccomp profile's default action is ${s.defaultAction}; an allow-list profile is required` }];
      return [];
    },
  },
  {
    id: 'capabilitiesRestricted',
    level: 'restricted',
    pss: 'Capabilities (restricted: drop ALL, add only NET_BIND_SERVICE)',
    checks: 'every capability set holds at most CAP_NET_BIND_SERVICE.',
    check({ spec }) {
      return capabilityFindings(spec, (c) => RESTRICTED_CAPABILITIES.includes(c), 'restricted allows only CAP_NET_BIND_SERVICE');
    },
  },
  {
    id: 'readOnlyRootFilesystem',
    level: 'restricted',
    pss: '(not PSS; Gatekeeper read-only-root-filesystem) — only with `readOnlyRoot: true`',
    checks: '`root.readonly` is true.',
    check({ spec }) {
      return spec.root?.readonly === true ? [] : [{ pointer: '/root/readonly', message: 'the root filesystem is writable' }];
    },
  },
];

export const CONTROL_IDS: readonly string[] = CONTROLS.map((c) => c.id);

export function controlsOf(level: ControlLevel): Control[] {
  return CONTROLS.filter((c) => c.level === level);
}
