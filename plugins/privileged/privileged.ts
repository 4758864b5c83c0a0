import { z } from 'zod';
import { ALL_CAPABILITIES } from '../../src/linux/capabilities.js';
import { definePlugin } from '../../src/engine/define.js';
import { listDevices } from '../../src/linux/devices.js';
import { ops } from '../../src/engine/patch.js';
import type { Device } from '../../src/spec/types.js';
import type { Operation } from '../../src/engine/types.js';
import { lazyOptions } from '../options.js';

const optionsSchema = () =>
  z.strictObject({
    /**
     * Add the host's device nodes to `linux.devices`: `auto` (default) when the environment describes the host
     * that runs the bundle (`env.hostCapabilities` is known, as `createEnv` sets it); `always`; `never`
     * (containerd's `privileged_without_host_devices`).
     */
    hostDevices: z.enum(['auto', 'always', 'never']).optional(),
    /** Where host devices are listed from (tests point it elsewhere). */
    devDir: z.string().optional(),
  });
export type PrivilegedOptions = z.input<ReturnType<typeof optionsSchema>>;
const checkOptions = lazyOptions('ctnr:privileged', optionsSchema);

/**
 * `privileged: true` with docker's semantics, as one plugin that replaces whole values so no earlier
 * plugin's work is left half in place:
 * - capabilities: every capability (cap_add/cap_drop do not apply, as in docker) — limited to the host's
 *   bounding set when known, since no runtime can grant more (runc fails "unable to apply caps"); a non-root
 *   user keeps the empty effective/permitted sets the capabilities plugin gave it;
 * - `linux.maskedPaths` / `linux.readonlyPaths` removed; `/sys` writable (docker clears `ro` even with
 *   `read_only`);
 * - device cgroup: allow everything; host device nodes added (see `hostDevices`);
 * - SELinux process and mount labels cleared (docker disables labelling for privileged containers);
 * - AppArmor: a profile that some plugin set without the user asking (`security_opt: apparmor=…`) becomes
 *   `unconfined`; when none is set nothing is written (no profile is unconfined, and writing `unconfined` on a
 *   host without AppArmor makes runc fail).
 * Later stages read `service.privileged` for their own part: the cgroups stage mounts `/sys/fs/cgroup` rw,
 * the seccomp stage leaves seccomp unconfined unless the user chose a profile.
 */
export function privilegedPlugin(options: PrivilegedOptions = {}) {
  const opts = checkOptions(options);
  return definePlugin({
    name: 'ctnr:privileged',
    stage: 'privileged',
    options: opts,
    apply({ service, spec, env, warn }) {
      if (service.privileged !== true) return [];
      const out: Operation[] = [];

      let caps = [...ALL_CAPABILITIES];
      if (env.hostCapabilities) {
        const missing = caps.filter((c) => !env.hostCapabilities!.includes(c));
        if (missing.length > 0) {
          warn(`privileged: left out ${missing.join(', ')} (not in this host's bounding set, so no runtime here could grant them)`, ['privileged']);
          caps = caps.filter((c) => env.hostCapabilities!.includes(c));
        }
      }
      if ((service.cap_drop ?? []).length > 0) warn('cap_drop has no effect with privileged: true (docker semantics)', ['cap_drop']);
      const current = spec.process?.capabilities ?? {};
      const root = (spec.process?.user.uid ?? 0) === 0;
      const next: Record<string, string[]> = { bounding: [...caps] };
      next.effective = root ? [...caps] : [...(current.effective ?? [])];
      next.permitted = root ? [...caps] : [...(current.permitted ?? [])];
      if (current.inheritable) next.inheritable = [...current.inheritable];
      if (current.ambient) next.ambient = [...current.ambient];
      if (spec.process) out.push(ops.set(spec, '/process/capabilities', next));

      const linux = spec.linux;
      if (linux?.maskedPaths !== undefined) out.push(ops.remove('/linux/maskedPaths'));
      if (linux?.readonlyPaths !== undefined) out.push(ops.remove('/linux/readonlyPaths'));

      (spec.mounts ?? []).forEach((m, i) => {
        if (m.destination === '/sys' && (m.options ?? []).includes('ro')) {
          out.push(ops.replace(`/mounts/${i}/options`, (m.options ?? []).filter((o) => o !== 'ro')));
        }
      });

      // Rootless specs have no linux.resources (no cgroup to enforce rules in): nothing to widen there.
      if (linux?.resources !== undefined) out.push(ops.set(spec, '/linux/resources/devices', [{ allow: true, access: 'rwm' }]));

      const wantDevices = opts.hostDevices === 'always' || (opts.hostDevices !== 'never' && env.hostCapabilities !== undefined);
      if (wantDevices) {
        const host = listDevices(opts.devDir ?? '/dev', '/dev');
        const have = new Set((linux?.devices ?? []).map((d) => d.path));
        const devices: Device[] = [...(linux?.devices ?? []).map((d) => ({ ...d })), ...host.filter((d) => !have.has(d.path))];
        if (linux === undefined) out.push(ops.add('/linux', {}));
        out.push(ops.set(spec, '/linux/devices', devices));
      }

      if (spec.process?.selinuxLabel !== undefined) out.push(ops.remove('/process/selinuxLabel'));
      if (linux?.mountLabel !== undefined) out.push(ops.remove('/linux/mountLabel'));
      const userApparmor = (service.security_opt ?? []).some((o) => o.key === 'apparmor');
      if (!userApparmor && spec.process?.apparmorProfile !== undefined && spec.process.apparmorProfile !== 'unconfined') {
        out.push(ops.replace('/process/apparmorProfile', 'unconfined'));
      }
      return out;
    },
  });
}
