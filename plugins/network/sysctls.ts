import { z } from 'zod';
import { definePlugin } from '../../src/engine/define.js';
import { ops, pointer } from '../../src/engine/patch.js';
import type { Operation } from '../../src/engine/types.js';
import { namespaceState } from '../../src/network/spec-facts.js';
import { kernelAtLeast, targetKernel } from '../../src/linux/seccomp/match.js';
import { lazyOptions } from '../options.js';

/** IPC-namespaced sysctls (docker's list, the kernel's ipc_namespace fields). */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

const optionsSchema = () =>
  z.strictObject({
    /**
     * docker (20.10+) sets these in every private network namespace unless the service does: any user may ping
     * (ICMP echo sockets) and bind ports below 1024 — harmless inside a namespace of their own. Default true.
     */
    networkDefaults: z.boolean().optional(),
  });
export type SysctlsOptions = z.input<ReturnType<typeof optionsSchema>>;
const checkOptions = lazyOptions('ctnr:sysctls', optionsSchema);

/**
 * `sysctls` → `linux.sysctl`, only for sysctls the container's own namespaces isolate: `net.*` (network
 * namespace), the IPC ones and `fs.mqueue.*` (IPC namespace). Anything else is global to the host and refused
 * with the reason, as are `net.*` with host or shared networking and the IPC ones with a host or shared IPC
 * namespace (setting them would change the host or another container). `kernel.hostname`/`domainname` are
 * refused in favour of `hostname`/`domainname`. Keys may use `/` or `.` separators; they are written with dots.
 * `domainname` (set by ctnr:hostname) is also written as `kernel.domainname`, which runc < 1.2 needs.
 */
export function sysctlsPlugin(options: SysctlsOptions = {}) {
  const opts = checkOptions(options);
  return definePlugin({
    name: 'ctnr:sysctls',
    stage: 'network',
    after: ['ctnr:namespaces', 'ctnr:hostname'],
    options: opts,
    apply({ service, spec, env, error }) {
      const net = namespaceState(spec, 'network');
      const ipc = namespaceState(spec, 'ipc');
      const values = new Map<string, string>();
      const refuse = (raw: string, why: string) => error(`sysctl ${raw} ${why}`, ['sysctls', raw]);
      for (const [raw, value] of Object.entries(service.sysctls ?? {})) {
        const key = raw.trim().replace(/\//g, '.');
        if (key.startsWith('net.')) {
          if (net === 'host') refuse(raw, 'cannot be set with host networking: it would change the host\'s network stack');
          else if (net === 'joined') refuse(raw, 'cannot be set in a network namespace joined from another container (set it there)');
          else values.set(key, value);
        } else if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
          if (ipc === 'host') refuse(raw, 'cannot be set with ipc: host: it would change the host\'s IPC limits');
          else if (ipc === 'joined') refuse(raw, 'cannot be set in an IPC namespace joined from another container (set it there)');
          else values.set(key, value);
        } else if (key === 'kernel.hostname' || key === 'kernel.domainname') {
          refuse(raw, `is set through ${key.slice(7)}: use that key instead`);
        } else {
          refuse(raw, 'is not namespaced: it is global to the host, so a container may not set it (allowed: net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*)');
        }
      }
      // Not rootless: in a user namespace the gid range must be mapped, and the mapping is the rootless stage's.
      if (net === 'new' && opts.networkDefaults !== false && !env.rootless) {
        const kernel = targetKernel(env.kernelRelease);
        if (!values.has('net.ipv4.ping_group_range')) values.set('net.ipv4.ping_group_range', '0 2147483647');
        // The sysctl appeared in Linux 4.11; runc fails on a sysctl the kernel does not have.
        if (!values.has('net.ipv4.ip_unprivileged_port_start') && kernelAtLeast(kernel, '4.11')) values.set('net.ipv4.ip_unprivileged_port_start', '0');
      }
      // runc before 1.2 ignores the spec's `domainname`; docker sets it through this sysctl, which every runtime
      // applies in the container's new UTS namespace.
      if (typeof spec.domainname === 'string' && spec.domainname !== '' && namespaceState(spec, 'uts') === 'new') {
        values.set('kernel.domainname', spec.domainname);
      }
      if (values.size === 0) return [];
      const out: Operation[] = [];
      // Read directly rather than through lookup/ensureParents: the pointer is fixed, nothing to parse per service.
      if (spec.linux?.sysctl === undefined) {
        if (spec.linux === undefined) out.push(ops.add('/linux', {}));
        // A loop, not Object.fromEntries (slow in V8); every key starts with net., fs., or kernel., never __proto__.
        const sysctl: Record<string, string> = {};
        for (const [k, v] of values) sysctl[k] = v;
        out.push(ops.add('/linux/sysctl', sysctl));
      } else {
        for (const [k, v] of values) out.push(ops.set(spec, pointer('linux', 'sysctl', k), v));
      }
      return out;
    },
  });
}
