import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import type { BundleFile, Operation } from '../../src/engine/types.js';
import type { Namespace } from '../../src/spec/types.js';
import { mountIndex } from '../../src/spec/mounts.js';
import { isProblem, parseMode, type NamespaceWant } from '../../src/network/modes.js';

/** Bundle-relative directory an `ipc: shareable` container's /dev/shm is bound from (`ctnr up`/`run` mount a tmpfs on it). */
export const SHM_DIR = 'ctnr/shm';
/** What the tmpfs on SHM_DIR is mounted with: `{ "shm": { "dir": SHM_DIR, "options": [...] } }`. */
export const IPC_FILE = 'ctnr/ipc.json';
const SHM_BIND_OPTIONS = ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec'];

type Owned = 'network' | 'ipc' | 'pid' | 'uts';
const PROC_NAME: Record<Owned, string> = { network: 'net', ipc: 'ipc', pid: 'pid', uts: 'uts' };
/** The order new entries are listed in. */
const OWNED: readonly Owned[] = ['pid', 'network', 'ipc', 'uts'];

/**
 * `linux.namespaces` entries of type network, ipc, pid and uts (this plugin is their only owner; `user` belongs
 * to the rootless stage, `cgroup` to the cgroups stage, `mount` to the base spec):
 * - `network_mode`: `host` → no network namespace; `none`, `bridge`, `default` (or `networks:`) → a new one
 *   (`none` gets only loopback; a network hook adds interfaces to the others); `service:NAME` / `container:ID`
 *   → join that container's namespace by path;
 * - `ipc`: `private` → new; `shareable` → new, and /dev/shm becomes a bind of the bundle's SHM_DIR (the tmpfs it
 *   was, mounted there by the launcher: IPC_FILE says how) so that others can share it; `host`; `none` → new without
 *   /dev/shm; `service:`/`container:` → join, and when `env.containers` knows the other container, bind its /dev/shm
 *   too (docker's rule: only a shareable container, or one that shares another's, can be joined);
 * - `pid`: `host`, `service:`/`container:`; `uts`: `host`;
 * - `userns_mode`: only `host` (docker's one per-container value), which is what a rootful container has anyway;
 *   rootless user namespaces are the rootless stage's job.
 * Joining needs the other container's pid: `env.containerPids` (service name or container id → host pid), which
 * the caller fills from the runtime's state (`runc state ID`); without it the service fails with the reason.
 */
export function namespacesPlugin() {
  return definePlugin({
    name: 'ctnr:namespaces',
    stage: 'network',
    apply({ service, spec, env, error }) {
      const want = new Map<Owned, NamespaceWant>();
      const read = (type: Owned, key: string, value: string | null | undefined, newWords: readonly string[], extra: readonly string[] = []) => {
        if (value === undefined) return; // unset: a new namespace, what a type missing from `want` means
        const parsed = parseMode(value, key, newWords, extra);
        if (isProblem(parsed)) error(parsed.message, [key]);
        else want.set(type, parsed);
      };

      if (service.network_mode !== undefined && service.networks !== undefined) {
        error('network_mode and networks cannot both be set (network_mode replaces the service networks)', ['network_mode']);
      }
      read('network', 'network_mode', service.network_mode, ['none', 'bridge', 'default']);
      const ipcNone = service.ipc?.trim() === 'none';
      read('ipc', 'ipc', ipcNone ? 'private' : service.ipc, ['private', 'shareable'], ['none']);
      read('pid', 'pid', service.pid, []);
      read('uts', 'uts', service.uts, []);
      for (const type of ['uts'] as const) {
        const w = want.get(type);
        if (w?.kind === 'join') error(`${type} "${service[type]}" is not supported (only host)`, [type]);
      }

      const userns = service.userns_mode?.trim();
      if (userns !== undefined && userns !== '') {
        if (userns !== 'host') error(`userns_mode "${userns}" is not supported: only "host" is (user namespaces for rootless containers are set up by the rootless stage)`, ['userns_mode']);
        else if (env.rootless) error('userns_mode "host" cannot work rootless: an unprivileged user needs a user namespace', ['userns_mode']);
      }

      // Joining paths come from the other container's pid.
      const pids = (env.containerPids ?? {}) as Record<string, unknown>;
      const paths = new Map<Owned, string>();
      for (const [type, w] of want) {
        if (w.kind !== 'join') continue;
        const key = type === 'network' ? 'network_mode' : type;
        const pid = pids[w.ref];
        if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) {
          error(`${key} "${w.refKind}:${w.ref}": the ${w.refKind} ${w.ref} has no known running process to share its ${type} namespace with (start it first; the caller passes running containers' pids as env.containerPids)`, [key]);
          continue;
        }
        paths.set(type, `/proc/${pid}/ns/${PROC_NAME[type]}`);
      }

      const out: Operation[] = [];
      const current = spec.linux?.namespaces;
      if (current === undefined) {
        const list: Namespace[] = [];
        for (const type of OWNED) {
          if (want.get(type)?.kind === 'host') continue;
          list.push(paths.has(type) ? { type, path: paths.get(type)! } : { type });
        }
        out.push(...ops.ensureParents(spec, '/linux/namespaces'), ops.add('/linux/namespaces', list));
      } else {
        // Last index first, so a removal never shifts an entry we still have to address.
        const seen = new Set<Owned>();
        for (let i = current.length - 1; i >= 0; i--) {
          const ns = current[i]!;
          const type = ns.type as Owned;
          if (!Object.hasOwn(PROC_NAME, type)) continue;
          if (want.get(type)?.kind === 'host' || seen.has(type)) {
            out.push(ops.remove(`/linux/namespaces/${i}`));
            continue;
          }
          seen.add(type);
          const path = paths.get(type);
          if (path !== undefined ? ns.path !== path : ns.path !== undefined) {
            out.push(ops.replace(`/linux/namespaces/${i}`, path !== undefined ? { type, path } : { type }));
          }
        }
        for (const type of OWNED) {
          if (seen.has(type) || want.get(type)?.kind === 'host') continue;
          out.push(ops.add('/linux/namespaces/-', paths.has(type) ? { type, path: paths.get(type)! } : { type }));
        }
      }

      // docker's `ipc: none`: a private IPC namespace and no /dev/shm at all.
      const files: BundleFile[] = [];
      if (service.ipc === undefined) return out; // nothing below applies
      const shm = mountIndex(spec.mounts, '/dev/shm');
      if (ipcNone) {
        if (shm >= 0) out.push(ops.remove(`/mounts/${shm}`));
      } else if (service.ipc?.trim() === 'shareable' && shm >= 0 && spec.mounts![shm]!.type === 'tmpfs') {
        // The tmpfs moves to the host (the bundle), where a joiner can bind it too.
        const options = (spec.mounts![shm]!.options ?? []).filter((o) => o !== 'ro' && o !== 'rw');
        out.push(ops.replace(`/mounts/${shm}`, { destination: '/dev/shm', type: 'bind', source: SHM_DIR, options: [...SHM_BIND_OPTIONS] }));
        files.push({ path: SHM_DIR, kind: 'directory', mode: 0o1777 });
        files.push({ path: IPC_FILE, content: JSON.stringify({ shm: { dir: SHM_DIR, options } }) + '\n', mode: 0o644 });
      } else {
        const w = want.get('ipc');
        const facts = w?.kind === 'join' ? env.containers?.[w.ref] : undefined;
        if (w?.kind === 'join' && facts !== undefined) {
          if (facts.shm !== undefined) {
            const bind = { destination: '/dev/shm', type: 'bind', source: facts.shm, options: [...SHM_BIND_OPTIONS] };
            out.push(shm >= 0 ? ops.replace(`/mounts/${shm}`, bind) : spec.mounts === undefined ? ops.add('/mounts', [bind]) : ops.add('/mounts/-', bind));
          } else if (facts.ipc !== 'host') {
            error(`ipc "${w.refKind}:${w.ref}": the IPC namespace of ${w.refKind === 'service' ? `service ${w.ref}` : `container ${w.ref}`} (${facts.id}) is private: give it ipc: shareable to share it (docker's rule)`, ['ipc']);
          }
        }
      }
      return files.length > 0 ? { ops: out, files } : out;
    },
  });
}
