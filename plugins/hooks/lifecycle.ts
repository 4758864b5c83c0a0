import { definePlugin } from '../../src/engine/define.js';
import type { ServiceHook } from '../../src/engine/service.js';
import type { BundleFile } from '../../src/engine/types.js';
import { ALL_CAPABILITIES } from '../../src/linux/capabilities.js';
import { readGroup, readPasswd, type GroupEntry, type PasswdEntry } from '../../src/linux/rootfs.js';
import type { Process } from '../../src/spec/types.js';
import { overlayEnv } from '../../src/spec/process-env.js';

/** Bundle file with the processes of the service's `post_start` and `pre_stop` hooks, in order. */
export const LIFECYCLE_FILE = 'ctnr/lifecycle.json';

export type LifecycleKind = 'post_start' | 'pre_stop';

/** What LIFECYCLE_FILE holds: for each kind, the `runtime exec --process` documents. */
export type Lifecycle = Partial<Record<LifecycleKind, Process[]>>;

const NUMERIC = /^\d+$/;
const MAX_ID = 4294967294;

/**
 * `post_start` and `pre_stop` (compose-spec service hooks) → the processes `ctnr up`/`run` run in the container
 * with the runtime's exec once it started, and `ctnr down` before it stops it (src/runtime/lifecycle.ts), written
 * to LIFECYCLE_FILE. Each is the container's own process (its final spec: user, capabilities, rlimits,
 * no_new_privileges, AppArmor/SELinux labels, cwd, env) with what the hook says, as `docker exec` does:
 * `command` as the args, `environment` over the container's variables (`KEY` alone takes the compose variable, as
 * `environment:` does), `working_dir`, `user` (names resolved in the rootfs's /etc/passwd and /etc/group,
 * supplementary groups from membership), `privileged` (every capability the host can grant, no AppArmor profile).
 * No terminal: the output is captured and reported. Runs last in the hooks stage (the spec is final there).
 */
export function lifecyclePlugin() {
  return definePlugin({
    name: 'ctnr:lifecycle',
    stage: 'hooks',
    enforce: 'post',
    apply({ service, spec, env, error }) {
      const base = spec.process;
      const kinds = (['post_start', 'pre_stop'] as const).filter((k) => (service[k] ?? []).length > 0);
      if (kinds.length === 0 || base === undefined) return [];
      const rootfs = env.rootfs;
      let passwd: PasswdEntry[] | undefined;
      let groups: GroupEntry[] | undefined;
      const loadPasswd = () => (passwd ??= rootfs ? readPasswd(rootfs) ?? [] : []);
      const loadGroups = () => (groups ??= rootfs ? readGroup(rootfs) ?? [] : []);
      const where = (f: string) => (rootfs ? `${rootfs}${f}` : `the rootfs's ${f} (no rootfs given: pass --rootfs)`);

      const userOf = (spec_: string, at: Array<string | number>): Process['user'] | undefined => {
        const [u = '', g] = spec_.split(':', 2);
        let uid: number;
        let gid = 0;
        let name: string | undefined;
        if (NUMERIC.test(u)) {
          uid = Number(u);
          const e = loadPasswd().find((p) => p.uid === uid);
          if (e) [gid, name] = [e.gid, e.name];
        } else {
          const e = loadPasswd().find((p) => p.name === u);
          if (!e) return void error(`user "${u}" not found in ${where('/etc/passwd')}`, at, 'USER_NOT_FOUND');
          [uid, gid, name] = [e.uid, e.gid, e.name];
        }
        if (g !== undefined && g !== '') {
          const id = NUMERIC.test(g) ? Number(g) : loadGroups().find((x) => x.name === g)?.gid;
          if (id === undefined) return void error(`group "${g}" not found in ${where('/etc/group')}`, at, 'GROUP_NOT_FOUND');
          gid = id;
        }
        if (uid > MAX_ID || gid > MAX_ID) return void error(`id ${Math.max(uid, gid)} is out of range (max ${MAX_ID})`, at);
        const extra = name === undefined ? [] : [...new Set(loadGroups().filter((x) => x.members.includes(name!) && x.gid !== gid).map((x) => x.gid))];
        return extra.length > 0 ? { uid, gid, additionalGids: extra } : { uid, gid };
      };

      const caps = env.hostCapabilities ? ALL_CAPABILITIES.filter((c) => env.hostCapabilities!.includes(c)) : [...ALL_CAPABILITIES];
      const variables = env.environment ?? {};
      const processOf = (hook: ServiceHook, at: Array<string | number>): Process | undefined => {
        const user = hook.user !== undefined && hook.user !== '' ? userOf(hook.user, [...at, 'user']) : base.user;
        if (user === undefined) return undefined;
        const p: Process = {
          ...(base as Process),
          terminal: false,
          user: user as Process['user'],
          args: [...hook.command],
          env: overlayEnv(base.env, (hook.environment ?? []).map(([k, v]) => [k, v ?? variables[k]] as const)),
          cwd: hook.working_dir ?? base.cwd,
        };
        delete p.consoleSize;
        if (hook.privileged === true) {
          p.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps], inheritable: [...caps] };
          delete p.apparmorProfile;
        }
        return JSON.parse(JSON.stringify(p)) as Process;
      };

      const lifecycle: Lifecycle = {};
      for (const kind of kinds) {
        const list: Process[] = [];
        (service[kind] ?? []).forEach((hook, i) => {
          const p = processOf(hook, [kind, i]);
          if (p) list.push(p);
        });
        lifecycle[kind] = list;
      }
      const file: BundleFile = { path: LIFECYCLE_FILE, json: lifecycle, mode: 0o600 };
      return { ops: [], files: [file] };
    },
  });
}
