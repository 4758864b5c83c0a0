import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import type { Operation } from '../../src/engine/types.js';

/** Mounts docker leaves writable under a read-only root: the kernel/device filesystems a process needs. */
const STAYS_WRITABLE = new Set(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue']);

/**
 * `read_only: true` → `root.readonly`, and (docker's rule) `ro` on every mount the engine set up before the
 * user's mounts except /proc, /dev, /dev/pts, /dev/shm and /dev/mqueue. It runs before the tmpfs and
 * volumes plugins, so user mounts keep their own mode, as in docker.
 */
export function readOnlyPlugin() {
  return definePlugin({
    name: 'ctnr:read-only',
    stage: 'mounts',
    before: ['ctnr:tmpfs', 'ctnr:volumes'],
    apply({ service, spec }) {
      if (service.read_only !== true) return [];
      const out: Operation[] = [];
      if (spec.root === undefined) out.push(ops.add('/root', { path: 'rootfs', readonly: true }));
      else out.push(ops.set(spec, '/root/readonly', true));
      (spec.mounts ?? []).forEach((m, i) => {
        if (STAYS_WRITABLE.has(m.destination)) return;
        const options = m.options ?? [];
        if (options.includes('ro')) return;
        out.push(ops.set(spec, `/mounts/${i}/options`, [...options.filter((o) => o !== 'rw'), 'ro']));
      });
      return out;
    },
  });
}
