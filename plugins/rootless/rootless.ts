import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import type { IdMapping, Mount } from '../../src/spec/types.js';
import type { Operation, PluginContext } from '../../src/engine/types.js';
import { lazyOptions } from '../options.js';

const optionsSchema = () =>
  z.strictObject({
    /**
     * `auto` (default): map the user's subordinate ranges from /etc/subuid and /etc/subgid after its own id,
     * the way rootless podman maps (container 0 = the user, 1… = the ranges; runc sets them up through
     * newuidmap/newgidmap), or only the user's own id when it has none; `never`: always the single id.
     */
    subids: z.enum(['auto', 'never']).optional(),
    subuidFile: z.string().optional(),
    subgidFile: z.string().optional(),
    /** Host passwd, to find the user's name (subordinate ranges are usually listed by name). */
    passwdFile: z.string().optional(),
  });
export type RootlessOptions = z.input<ReturnType<typeof optionsSchema>>;
const checkOptions = lazyOptions('ctnr:rootless', optionsSchema);

interface Range {
  start: number;
  count: number;
}

/** Ranges of `/etc/subuid`-style lines (`name-or-id:start:count`) for the user, in file order. */
export function readSubordinateRanges(text: string, names: readonly string[]): Range[] {
  const out: Range[] = [];
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (!who || line.trim().startsWith('#') || !names.includes(who)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && s >= 0 && c > 0) out.push({ start: s, count: c });
  }
  return out;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function userName(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && Number(f[2]) === uid && f[2] !== '') return f[0];
  }
  return undefined;
}

/** Container id 0 = the host id; then the subordinate ranges, packed from container id 1. */
function mappings(hostId: number, ranges: readonly Range[]): IdMapping[] {
  const out: IdMapping[] = [{ containerID: 0, hostID: hostId, size: 1 }];
  let next = 1;
  for (const r of ranges) {
    out.push({ containerID: next, hostID: r.start, size: r.count });
    next += r.count;
  }
  return out;
}

const mapped = (list: readonly IdMapping[], id: number) => list.some((m) => id >= m.containerID && id < m.containerID + m.size);

/**
 * Rootless (`env.rootless`, the default when not root): what an unprivileged user needs for runc to start
 * the container (`runc --root <dir> run` as that user).
 * - a user namespace with id mappings (own id → 0, plus /etc/subuid and /etc/subgid ranges when present);
 *   the network namespace stays (a user namespace may own a new one);
 * - `/sys` becomes a read-only rbind of the host's (sysfs cannot be mounted without owning the host's network
 *   namespace, and a later `network_mode: host` keeps working); devpts loses `gid=5`/`uid=` (the tty group
 *   is not mapped);
 * - `linux.resources` (the base device rules) removed: there is no cgroup to enforce them. The cgroups
 *   stage, which runs later, reads `env.rootless` and names each limit it drops;
 * - supplementary groups dropped with a warning (runc: "cannot set any additional groups in a rootless
 *   container");
 * - refused: a process user or group outside the mapping, `userns_mode`, `pid: host` and `ipc: host` (the
 *   kernel refuses /proc and mqueue mounts for namespaces the user namespace does not own), a negative
 *   `oom_score_adj` (only privileged processes may lower it).
 */
export function rootlessPlugin(options: RootlessOptions = {}) {
  const opts = checkOptions(options);
  return definePlugin({
    name: 'ctnr:rootless',
    stage: 'rootless',
    options: opts,
    apply(ctx) {
      const { service, spec, env, error, warn } = ctx;
      if (!env.rootless) return [];
      refuseIncompatible(ctx);

      let uidRanges: Range[] = [];
      let gidRanges: Range[] = [];
      if ((opts.subids ?? 'auto') === 'auto') {
        const names = [String(env.uid)];
        const name = userName(readText(opts.passwdFile ?? '/etc/passwd'), env.uid);
        if (name) names.unshift(name);
        uidRanges = readSubordinateRanges(readText(opts.subuidFile ?? '/etc/subuid'), names);
        gidRanges = readSubordinateRanges(readText(opts.subgidFile ?? '/etc/subgid'), names);
        // Half a mapping is worse than none: newuidmap would give ids whose groups cannot be set.
        if (uidRanges.length === 0 || gidRanges.length === 0) uidRanges = gidRanges = [];
      }
      const uidMappings = mappings(env.uid, uidRanges);
      const gidMappings = mappings(env.gid, gidRanges);

      const user = spec.process?.user;
      if (user) {
        const hint = uidRanges.length === 0 ? ' (only root is mapped: add ranges for this user to /etc/subuid and /etc/subgid)' : '';
        if (!mapped(uidMappings, user.uid)) error(`user ${user.uid} is not mapped in the rootless user namespace${hint}`, service.user !== undefined ? ['user'] : undefined);
        if (!mapped(gidMappings, user.gid)) error(`group ${user.gid} is not mapped in the rootless user namespace${hint}`, service.user !== undefined ? ['user'] : undefined);
      }

      const out: Operation[] = [];
      if (spec.linux === undefined) out.push(ops.add('/linux', {}));
      const namespaces = spec.linux?.namespaces;
      if (namespaces === undefined) out.push(ops.add('/linux/namespaces', [{ type: 'user' }]));
      else if (!namespaces.some((n) => n.type === 'user')) out.push(ops.add('/linux/namespaces/-', { type: 'user' }));
      out.push(ops.set(spec, '/linux/uidMappings', uidMappings), ops.set(spec, '/linux/gidMappings', gidMappings));

      if (user?.additionalGids && user.additionalGids.length > 0) {
        warn(`supplementary groups ${user.additionalGids.join(', ')} dropped: runc cannot set additional groups in a rootless container`, service.group_add ? ['group_add'] : service.user !== undefined ? ['user'] : undefined);
        out.push(ops.remove('/process/user/additionalGids'));
      }

      (spec.mounts ?? []).forEach((m, i) => {
        if (m.destination === '/sys') {
          const sys: Mount = { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
          out.push(ops.replace(`/mounts/${i}`, sys));
        } else if (m.type === 'devpts' && (m.options ?? []).some((o) => o.startsWith('gid=') || o.startsWith('uid='))) {
          out.push(ops.replace(`/mounts/${i}/options`, (m.options ?? []).filter((o) => !o.startsWith('gid=') && !o.startsWith('uid='))));
        }
      });

      if (spec.linux?.resources !== undefined) out.push(ops.remove('/linux/resources'));
      return out;
    },
  });
}

function refuseIncompatible({ service, error }: Pick<PluginContext, 'service' | 'error'>): void {
  if (service.userns_mode !== undefined && service.userns_mode !== '') {
    error(`userns_mode "${service.userns_mode}" cannot be combined with rootless mode (the rootless user namespace is required)`, ['userns_mode']);
  }
  if (service.pid === 'host') error('pid: host is not possible rootless: /proc of the host pid namespace cannot be mounted from a user namespace', ['pid']);
  if (service.ipc === 'host') error('ipc: host is not possible rootless: the host mqueue cannot be mounted from a user namespace', ['ipc']);
  if (service.oom_score_adj !== undefined && service.oom_score_adj < 0) {
    error(`oom_score_adj ${service.oom_score_adj} needs privileges: a rootless container can only raise it (0…1000)`, ['oom_score_adj']);
  }
}
