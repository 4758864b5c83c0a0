import os from 'node:os';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import type { BundleFile, Operation, Plugin, PluginContext } from '../../src/engine/types.js';
import { mergeMountOptions, mountIndex } from '../../src/spec/mounts.js';
import { namespaceState } from '../../src/network/spec-facts.js';
import { readPasswd } from '../../src/linux/rootfs.js';
import { IPC_FILE, SHM_DIR } from '../../plugins/network/namespaces.js';
import { normaliseSignal } from '../../plugins/annotations/stop-signal.js';
import { hostFact, type HostFacts } from './host.js';
import { generatedHostname, mountOptionsPlugin, userMountTargets } from './plugins.js';

/**
 * Plugins of the podman preset (podman.ts): each writes one thing the way podman writes it, where ctnr's default
 * pipeline writes it otherwise. Sources: containers/podman `pkg/specgen/generate/oci_linux.go` (SpecGenToOCI),
 * `libpod/container_internal_common.go` (generateSpec, makePlatformBindMounts), `pkg/specgen/generate/storage.go`
 * and containers/common `pkg/config` at the tags the preset's versions name (v4.3.1 / v5.8.0).
 */

/** The podman versions the preset reproduces: 4 (4.3.1, Debian 12) and 5 (5.8). */
export type PodmanVersion = 4 | 5;

/** Where podman's init (catatonit) appears in the container (`define.ContainerInitPath`). */
export const PODMAN_INIT_DESTINATION = '/run/podman-init';

const ETC_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/run/.containerenv']);
/** libpod's options for its own bind mounts (`bindOptions`), and what a read-only root adds to them. */
const BIND = ['bind', 'rprivate'];
const BIND_RO = ['ro', 'nosuid', 'noexec', 'nodev'];
const SHM_BIND = ['bind', 'rprivate', 'nosuid', 'noexec', 'nodev'];
/** storage.go `addReadWriteTmpfsMounts` and the CLI's tmpfs defaults. */
const TMPFS = ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'];

/** podman's name for the container: the service's hostname; the host's with host networking or `uts: host`; else generated. */
export function podmanHostname(host: HostFacts | undefined): (ctx: PluginContext) => string {
  return (ctx) => {
    if (typeof ctx.spec.hostname === 'string') return ctx.spec.hostname;
    const hostNames = namespaceState(ctx.spec, 'network') === 'host' || namespaceState(ctx.spec, 'uts') === 'host';
    return hostNames ? hostFact(host, 'hostname') : generatedHostname(ctx);
  };
}

/** HOME from the rootfs's /etc/passwd for the process's uid (libpod sets it when the image and service do not), else `/`. */
export function podmanHome(ctx: PluginContext): string {
  const uid = ctx.spec.process?.user.uid ?? 0;
  const entry = ctx.env.rootfs ? readPasswd(ctx.env.rootfs)?.find((p) => p.uid === uid) : undefined;
  return entry?.home || '/';
}

/**
 * /dev/shm as podman mounts it: a tmpfs of the container's own on the host (libpod's ShmDir, `shm_size`, default
 * 64 MiB), bound at /dev/shm `bind,rprivate,nosuid,noexec,nodev`. ctnr mounts that tmpfs on the bundle's
 * `ctnr/shm` before the runtime starts (the mechanism `ipc: shareable` uses, src/runtime/shm.ts). With
 * `ipc: host` it is the host's /dev/shm, with the same options.
 */
export function podmanShmPlugin(): Plugin {
  return definePlugin({
    name: 'podman:shm',
    stage: 'network',
    enforce: 'post',
    after: ['ctnr:namespaces'],
    apply({ service, spec }) {
      const at = mountIndex(spec.mounts, '/dev/shm');
      if (at < 0) return [];
      const m = spec.mounts![at]!;
      const own = userMountTargets(service);
      if (own.tmpfs.has('/dev/shm') || own.binds.has('/dev/shm') || own.volumes.has('/dev/shm')) return [];
      if (service.ipc?.trim() === 'host') {
        return [ops.replace(`/mounts/${at}`, { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: [...SHM_BIND] })];
      }
      if (m.type === 'tmpfs') {
        const options = mergeMountOptions(['nosuid', 'noexec', 'nodev', 'mode=1777'], (m.options ?? []).filter((o) => o !== 'ro' && o !== 'rw'));
        const files: BundleFile[] = [
          { path: SHM_DIR, kind: 'directory', mode: 0o1777 },
          { path: IPC_FILE, content: JSON.stringify({ shm: { dir: SHM_DIR, options } }) + '\n', mode: 0o644 },
        ];
        return { ops: [ops.replace(`/mounts/${at}`, { destination: '/dev/shm', type: 'bind', source: SHM_DIR, options: [...SHM_BIND] })], files };
      }
      return m.type === 'bind' ? [ops.replace(`/mounts/${at}/options`, [...SHM_BIND])] : [];
    },
  });
}

/**
 * libpod's own bind mounts (/etc/hostname, /etc/hosts, /etc/resolv.conf, /run/.containerenv): `bind,rprivate`, and
 * `ro,nosuid,noexec,nodev` under a read-only root. With `network_mode: none` podman writes no resolv.conf.
 */
export function podmanEtcFilesPlugin(): Plugin {
  return definePlugin({
    name: 'podman:etc-files',
    stage: 'network',
    enforce: 'post',
    after: ['ctnr:etc-files', 'podman:host-files', 'podman:containerenv'],
    apply({ service, spec }) {
      const t = userMountTargets(service);
      const out: Operation[] = [];
      const mounts = spec.mounts ?? [];
      const want = service.read_only === true ? [...BIND, ...BIND_RO] : BIND;
      for (let i = mounts.length - 1; i >= 0; i--) {
        const m = mounts[i]!;
        if (!ETC_FILES.has(m.destination) || m.type !== 'bind' || t.binds.has(m.destination) || t.volumes.has(m.destination)) continue;
        if (m.destination === '/etc/resolv.conf' && service.network_mode?.trim() === 'none') {
          out.push(ops.remove(`/mounts/${i}`));
          continue;
        }
        const same = want.length === (m.options ?? []).length && want.every((o, j) => o === m.options![j]);
        if (!same) out.push(ops.set(spec, `/mounts/${i}/options`, [...want]));
      }
      return out;
    },
  });
}

/**
 * /run/.containerenv (libpod `makePlatformBindMounts`): a file that tells programs they run in a podman container;
 * empty, except for a privileged container, which learns the engine, its name, id and image. Not written when the
 * service mounts something at /run or /run/.containerenv.
 */
export function podmanContainerenvPlugin(version: PodmanVersion): Plugin {
  return definePlugin({
    name: 'podman:containerenv',
    stage: 'network',
    enforce: 'post',
    apply({ service, serviceName, spec, env }) {
      if (mountIndex(spec.mounts, '/run/.containerenv') >= 0 || mountIndex(spec.mounts, '/run') >= 0) return [];
      const path = 'files/run/.containerenv';
      let content = '';
      if (service.privileged === true) {
        const engine = version === 4 ? 'podman-4.3.1' : 'podman-5.8.0';
        const name = service.container_name ?? serviceName;
        const id = typeof env.containerId === 'string' ? env.containerId : name;
        content = `engine="${engine}"\nname=${JSON.stringify(name)}\nid=${JSON.stringify(id)}\nimage=${JSON.stringify(service.image ?? '')}\nimageid=""\nrootless=${env.rootless ? 1 : 0}\n`;
      }
      const mount = { destination: '/run/.containerenv', type: 'bind', source: path, options: [...BIND] };
      return { ops: [spec.mounts === undefined ? ops.add('/mounts', [mount]) : ops.add('/mounts/-', mount)], files: [{ path, content, mode: 0o644 }] };
    },
  });
}

/**
 * The service's own mounts with podman's options (`util.ProcessOptions`): tmpfs mounts
 * `rw,rprivate,nosuid,nodev,tmpcopyup` (podman's tmpfs has no `noexec` default) plus the service's options; a
 * writable bind gets an explicit `rw`; named and anonymous volumes `nosuid,nodev` and `rw`; file secrets are
 * read-only binds `rbind,ro,rprivate`.
 */
export function podmanUserMountsPlugin(): Plugin {
  return mountOptionsPlugin('podman:user-mounts', { stage: 'mounts', after: ['ctnr:mount-order'] }, (m, { service }) => {
    const t = userMountTargets(service);
    const options = m.options ?? [];
    if (m.type === 'tmpfs' && t.tmpfs.has(m.destination)) {
      const own = (service.tmpfs ?? []).find((x) => x.target === m.destination)?.options ?? [];
      const long = (service.volumes ?? []).find((v) => v.type === 'tmpfs' && v.target === m.destination)?.tmpfs;
      const fromLong = [...(long?.size !== undefined ? [`size=${long.size}`] : []), ...(long?.mode !== undefined ? [`mode=${long.mode.toString(8)}`] : [])];
      return mergeMountOptions(TMPFS, own, fromLong);
    }
    if (t.volumes.has(m.destination) || t.anonymous.has(m.destination)) {
      return mergeMountOptions(options, ['nosuid', 'nodev'], options.includes('ro') ? [] : ['rw']);
    }
    if (t.secrets.has(m.destination) || t.configs.has(m.destination)) return ['rbind', 'ro', 'rprivate'];
    // util.ProcessOptions: a bind without `ro` gets an explicit `rw`.
    if (t.binds.has(m.destination) && !options.includes('ro') && !options.includes('rw')) return [...options, 'rw'];
    return undefined;
  });
}

/** `read_only: true` (podman's `--read-only-tmpfs`, default on): writable tmpfs mounts on /run, /tmp and /var/tmp unless the service mounts there. */
export function podmanReadOnlyTmpfsPlugin(): Plugin {
  return definePlugin({
    name: 'podman:read-only-tmpfs',
    stage: 'mounts',
    enforce: 'post',
    before: ['ctnr:mount-order'],
    apply({ service, spec }) {
      if (service.read_only !== true) return [];
      const out: Operation[] = [];
      for (const dest of ['/tmp', '/var/tmp', '/run']) {
        if (mountIndex(spec.mounts, dest) >= 0) continue;
        const mount = { destination: dest, type: 'tmpfs', source: 'tmpfs', options: [...TMPFS] };
        out.push(spec.mounts === undefined && out.length === 0 ? ops.add('/mounts', [mount]) : ops.add('/mounts/-', mount));
      }
      return out;
    },
  });
}

/** podman's mounts of the kernel filesystems: /sys/fs/cgroup `rprivate,nosuid,noexec,nodev,relatime,ro|rw`; a privileged /sys `rprivate,nosuid,noexec,nodev,rw`. */
export function podmanSystemMountsPlugin(): Plugin {
  return mountOptionsPlugin('podman:system-mounts', { stage: 'cgroups', after: ['ctnr:cgroup-mount'] }, (m, { service }) => {
    const privileged = service.privileged === true;
    if (m.destination === '/sys/fs/cgroup' && m.type === 'cgroup') return ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'];
    if (m.destination === '/sys' && m.type === 'sysfs' && privileged) return ['rprivate', 'nosuid', 'noexec', 'nodev', 'rw'];
    return undefined;
  });
}

/** podman 4's /dev tmpfs (runtime-tools' default of its day) is `noexec` too; podman 5's is not. */
export function podman4DevPlugin(): Plugin {
  return mountOptionsPlugin('podman:dev', { stage: 'mounts', after: [] }, (m) =>
    m.destination === '/dev' && m.type === 'tmpfs' ? ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=65536k'] : undefined);
}

/** The init bind as libpod adds it: `bind,ro,rprivate` (ctnr:init puts it at /run/podman-init in this preset). */
export function podmanInitMountPlugin(): Plugin {
  return mountOptionsPlugin('podman:init-mount', { stage: 'process', after: ['ctnr:init'] }, (m) =>
    m.destination === PODMAN_INIT_DESTINATION && m.type === 'bind' ? ['bind', 'ro', 'rprivate'] : undefined);
}

/** containers.conf `default_sysctls` (Debian's and upstream's: `net.ipv4.ping_group_range=0 0`), applied in a new network namespace. */
export function podmanSysctlsPlugin(): Plugin {
  return definePlugin({
    name: 'podman:default-sysctls',
    stage: 'network',
    enforce: 'post',
    after: ['ctnr:sysctls'],
    apply({ spec }) {
      if (namespaceState(spec, 'network') !== 'new' || spec.linux?.sysctl?.['net.ipv4.ping_group_range'] !== undefined) return [];
      if (spec.linux?.sysctl === undefined) return [...(spec.linux ? [] : [ops.add('/linux', {})]), ops.add('/linux/sysctl', { 'net.ipv4.ping_group_range': '0 0' })];
      return [ops.add('/linux/sysctl/net.ipv4.ping_group_range', '0 0')];
    },
  });
}

/**
 * The stop signal as libpod writes it: a number (`StopSignal`; default 15, SIGTERM). A name this platform does not
 * number (a real-time `RTMIN+3`) is kept as ctnr writes it.
 */
export function podmanStopSignal(ctx: PluginContext): string {
  const sig = normaliseSignal(ctx.service.stop_signal ?? ctx.image?.StopSignal ?? 'SIGTERM');
  if (/^\d+$/.test(sig)) return sig;
  const n = (os.constants.signals as Record<string, number | undefined>)[sig];
  return n === undefined ? sig : String(n);
}
