import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import type { Operation, Plugin, PluginContext } from '../../src/engine/types.js';
import { mergeMountOptions } from '../../src/spec/mounts.js';
import { namespaceState } from '../../src/network/spec-facts.js';
import { kernelAtLeast, targetKernel } from '../../src/linux/seccomp/match.js';
import { INIT_DESTINATION } from '../../plugins/process/init.js';
import { DOCKER_20_PRIVILEGED_CAPS } from './docker.js';
import { hostFact, type HostFacts } from './host.js';
import { generatedHostname, mountOptionsPlugin, userMountTargets } from './plugins.js';

/**
 * Plugins of the docker preset (docker-preset.ts): each writes one thing the way dockerd writes it, where ctnr's
 * default pipeline writes it otherwise. Sources are moby's `daemon/oci_linux.go` (`withMounts`, `getUser`,
 * `WithCommonOptions`, `WithNamespaces`), `container/container.go` (`CreateDaemonEnvironment`) and
 * `daemon/daemon_unix.go` (resources) at the tags the preset's versions name.
 */

const ETC_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

/**
 * `oomScoreAdj: 0` when the service sets none: docker always writes HostConfig.OomScoreAdj (`WithOOMScore`).
 * Not rootless: an unprivileged runtime cannot lower its own score (rootless docker raises it to the daemon's).
 */
export function dockerOomScoreAdjPlugin(): Plugin {
  return definePlugin({
    name: 'docker:oom-score-adj',
    stage: 'process',
    enforce: 'post',
    after: ['ctnr:oom-score-adj'],
    apply: ({ spec, env }) => (spec.process && spec.process.oomScoreAdj === undefined && !env.rootless ? [ops.add('/process/oomScoreAdj', 0)] : []),
  });
}

/** The init binary's bind: `bind,ro` (moby `WithCommonOptions`), without ctnr's nosuid,nodev. */
export function dockerInitMountPlugin(): Plugin {
  return mountOptionsPlugin('docker:init-mount', { stage: 'process', after: ['ctnr:init'] }, (m) =>
    m.destination === INIT_DESTINATION && m.type === 'bind' ? ['bind', 'ro'] : undefined);
}

/** /sys/fs/cgroup as in moby's default spec (`ro,nosuid,noexec,nodev`, no relatime); privileged clears `ro` (writable cgroups). */
export function dockerCgroupMountPlugin(): Plugin {
  return mountOptionsPlugin('docker:cgroup-mount', { stage: 'cgroups', after: ['ctnr:cgroup-mount'] }, (m, { service }) => {
    if (m.destination !== '/sys/fs/cgroup' || m.type !== 'cgroup') return undefined;
    return service.privileged === true ? ['nosuid', 'noexec', 'nodev'] : ['ro', 'nosuid', 'noexec', 'nodev'];
  });
}

/** A device cgroup rule's `*` major or minor as docker writes it: -1 (`AppendDevicePermissionsFromCgroupRules`). */
export function dockerDeviceWildcardsPlugin(): Plugin {
  return definePlugin({
    name: 'docker:device-wildcards',
    stage: 'cgroups',
    enforce: 'post',
    after: ['ctnr:device-cgroup-rules'],
    apply({ service, spec }) {
      if ((service.device_cgroup_rules ?? []).length === 0) return [];
      const out: Operation[] = [];
      (spec.linux?.resources?.devices ?? []).forEach((r, i) => {
        if (!r.allow || r.type === undefined) return;
        if (r.major === undefined) out.push(ops.add(`/linux/resources/devices/${i}/major`, -1));
        if (r.minor === undefined) out.push(ops.add(`/linux/resources/devices/${i}/minor`, -1));
      });
      return out;
    },
  });
}

/**
 * The service's own mounts with docker's options (moby `withMounts`): tmpfs mounts get the default propagation
 * `rprivate`; named and anonymous volumes no propagation at all; file secrets and configs are read-only binds
 * `rbind,ro,rprivate` (compose's bind of the file). With `recursiveReadOnly` (docker ≥ 25 when the runtime
 * supports it) a read-only bind is `rro` instead of `ro`.
 */
export function dockerUserMountsPlugin(recursiveReadOnly: boolean): Plugin {
  return mountOptionsPlugin('docker:user-mounts', { stage: 'mounts', after: ['ctnr:mount-order'] }, (m, { service }) => {
    const t = userMountTargets(service);
    const options = m.options ?? [];
    if (m.type === 'tmpfs' && t.tmpfs.has(m.destination)) return mergeMountOptions(['noexec', 'nosuid', 'nodev', 'rprivate'], options);
    if (t.volumes.has(m.destination) || t.anonymous.has(m.destination)) return dockerBindOptions(options.filter((o) => o !== 'rprivate'), recursiveReadOnly);
    if (t.secrets.has(m.destination) || t.configs.has(m.destination)) return dockerBindOptions(['rbind', 'ro', 'rprivate'], recursiveReadOnly);
    if (t.binds.has(m.destination)) return dockerBindOptions(options, recursiveReadOnly);
    return undefined;
  });
}

const PROPAGATION = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** A bind's options in moby's order (`withMounts`): bind mode, `ro` (or `rro`), propagation, then the rest. */
function dockerBindOptions(options: readonly string[], recursiveReadOnly: boolean): string[] {
  const mode: string[] = options.filter((o) => o === 'bind' || o === 'rbind');
  const ro = options.some((o) => o === 'ro' || o === 'rro') ? [recursiveReadOnly ? 'rro' : 'ro'] : [];
  const propagation = options.filter((o) => PROPAGATION.has(o));
  const rest = options.filter((o) => !mode.includes(o) && o !== 'ro' && o !== 'rro' && !PROPAGATION.has(o));
  return [...mode, ...ro, ...propagation, ...rest];
}

/**
 * /etc/hostname, /etc/hosts, /etc/resolv.conf as docker binds them (`container.NetworkMounts`): `rbind,rprivate`,
 * plus `ro` under a read-only root; ctnr binds them read-only, nosuid, nodev, noexec always. A volume the service
 * mounts there is its own and keeps its options.
 */
export function dockerEtcFilesPlugin(): Plugin {
  return mountOptionsPlugin('docker:etc-files', { stage: 'network', after: ['ctnr:etc-files', 'docker:host-files'] }, (m, { service }) => {
    if (!ETC_FILES.has(m.destination) || m.type !== 'bind') return undefined;
    const t = userMountTargets(service);
    if (t.binds.has(m.destination) || t.volumes.has(m.destination) || t.secrets.has(m.destination) || t.configs.has(m.destination)) return undefined;
    return service.read_only === true ? ['rbind', 'ro', 'rprivate'] : ['rbind', 'rprivate'];
  });
}

/** docker's name for the container (`Config.Hostname`): the service's hostname, the host's with host networking, else generated. */
export function dockerHostname(host: HostFacts | undefined): (ctx: PluginContext) => string {
  return (ctx) => {
    if (typeof ctx.spec.hostname === 'string') return ctx.spec.hostname;
    return namespaceState(ctx.spec, 'network') === 'host' ? hostFact(host, 'hostname') : generatedHostname(ctx);
  };
}

/** `domainname` only as the sysctl `kernel.domainname` (moby `setLinuxDomainname`; ctnr:sysctls writes it): no spec field. */
export function dockerDomainnamePlugin(): Plugin {
  return definePlugin({
    name: 'docker:domainname',
    stage: 'network',
    enforce: 'post',
    after: ['ctnr:sysctls'],
    apply: ({ spec }) => (spec.domainname !== undefined ? [ops.remove('/domainname')] : []),
  });
}

/** /dev/shm bound from the host (`ipc: shareable` or joined): `rbind,rprivate` as docker's IPC mounts. */
export function dockerShmBindPlugin(): Plugin {
  return mountOptionsPlugin('docker:shm-bind', { stage: 'network', after: ['ctnr:namespaces', 'docker:ipc-host'] }, (m) =>
    m.destination === '/dev/shm' && m.type === 'bind' ? ['rbind', 'rprivate'] : undefined);
}

/** Docker 29 gives every container a time namespace where the kernel has them (≥ 5.6; moby `WithNamespaces`). */
export function dockerTimeNamespacePlugin(): Plugin {
  return definePlugin({
    name: 'docker:time-namespace',
    stage: 'network',
    enforce: 'post',
    after: ['ctnr:namespaces'],
    apply({ spec, env }) {
      if (env.rootless || !kernelAtLeast(targetKernel(env.kernelRelease), '5.6')) return [];
      const list = spec.linux?.namespaces;
      if (list === undefined || list.some((n) => n.type === 'time')) return [];
      return [ops.add('/linux/namespaces/-', { type: 'time' })];
    },
  });
}

/**
 * docker 20.10's `privileged` capabilities (DOCKER_20_PRIVILEGED_CAPS) in place of every capability the host has;
 * one the host's bounding set lacks is left out with a warning (runc cannot grant it: docker 20.10 writes it and
 * the container fails to start).
 */
export function docker20PrivilegedCapsPlugin(): Plugin {
  return definePlugin({
    name: 'docker:privileged-caps',
    stage: 'privileged',
    enforce: 'post',
    after: ['ctnr:privileged'],
    apply({ service, spec, env, warn }) {
      if (service.privileged !== true || !spec.process?.capabilities) return [];
      let caps = [...DOCKER_20_PRIVILEGED_CAPS];
      if (env.hostCapabilities) {
        const missing = caps.filter((c) => !env.hostCapabilities!.includes(c));
        if (missing.length > 0) {
          warn(`privileged: docker 20.10 lists ${missing.join(', ')}, which this host's bounding set lacks (no runtime here could grant them): left out`, ['privileged']);
          caps = caps.filter((c) => env.hostCapabilities!.includes(c));
        }
      }
      const current = spec.process.capabilities;
      const root = spec.process.user.uid === 0;
      const next: Record<string, string[]> = { bounding: caps, effective: root ? [...caps] : [...(current.effective ?? [])], permitted: root ? [...caps] : [...(current.permitted ?? [])] };
      if (current.inheritable) next.inheritable = [...current.inheritable];
      if (current.ambient) next.ambient = [...current.ambient];
      return [ops.replace('/process/capabilities', next)];
    },
  });
}

/**
 * Docker 20.10 writes the resources it has no value for as zeros (`daemon_unix.go`: cpu shares 0, blkio weight 0,
 * memory `disableOOMKiller: false`), which runc reads as unset; docker 23+ leaves them out.
 */
export function docker20ZeroResourcesPlugin(): Plugin {
  return definePlugin({
    name: 'docker:zero-resources',
    stage: 'cgroups',
    enforce: 'post',
    apply({ spec }) {
      const r = spec.linux?.resources;
      if (!r) return [];
      const out: Operation[] = [];
      if (r.cpu === undefined) out.push(ops.add('/linux/resources/cpu', { shares: 0 }));
      else if (r.cpu.shares === undefined) out.push(ops.add('/linux/resources/cpu/shares', 0));
      if (r.blockIO === undefined) out.push(ops.add('/linux/resources/blockIO', { weight: 0 }));
      else if (r.blockIO.weight === undefined) out.push(ops.add('/linux/resources/blockIO/weight', 0));
      if (r.memory === undefined) out.push(ops.add('/linux/resources/memory', { disableOOMKiller: false }));
      else if (r.memory.disableOOMKiller === undefined) out.push(ops.add('/linux/resources/memory/disableOOMKiller', false));
      return out;
    },
  });
}

/** Docker 20.10 has no `defaultErrnoRet` (its seccomp types lack the field): a profile file's is dropped, denied calls get EPERM. */
export function docker20SeccompErrnoPlugin(): Plugin {
  return definePlugin({
    name: 'docker:seccomp-errno',
    stage: 'seccomp',
    enforce: 'post',
    after: ['ctnr:seccomp'],
    apply: ({ spec }) => (spec.linux?.seccomp?.defaultErrnoRet !== undefined ? [ops.remove('/linux/seccomp/defaultErrnoRet')] : []),
  });
}
