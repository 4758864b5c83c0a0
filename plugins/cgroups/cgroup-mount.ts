import { z } from 'zod';
import { definePlugin } from '../../src/engine/define.js';
import { mountIndex } from '../../src/spec/mounts.js';
import { ops } from '../../src/engine/patch.js';
import { lazyOptions } from '../options.js';

const optionsSchema = () =>
  z.strictObject({
    /** `auto` (default): read-only, read-write for privileged services (docker); or force `ro`/`rw`, or `none`. */
    mode: z.enum(['auto', 'ro', 'rw', 'none']).optional(),
  });
export type CgroupMountOptions = z.input<ReturnType<typeof optionsSchema>>;
const checkOptions = lazyOptions('ctnr:cgroup-mount', optionsSchema);

/**
 * `/sys/fs/cgroup` as docker mounts it: `cgroup` filesystem, `nosuid,noexec,nodev,relatime`, read-only unless
 * the service is privileged (docker's writable cgroups; a read-only root keeps it read-only). The runtime
 * mounts the container's own cgroups there (cgroup v1: one directory per controller). A user mount at
 * /sys/fs/cgroup is left alone.
 */
export function cgroupMountPlugin(options: CgroupMountOptions = {}) {
  const opts = checkOptions(options);
  return definePlugin({
    name: 'ctnr:cgroup-mount',
    stage: 'cgroups',
    options: opts,
    apply({ service, spec }) {
      const mode = opts.mode ?? 'auto';
      if (mode === 'none' || mountIndex(spec.mounts, '/sys/fs/cgroup') >= 0) return [];
      const rw = mode === 'rw' || (mode === 'auto' && service.privileged === true && service.read_only !== true);
      const mount = { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', rw ? 'rw' : 'ro'] };
      return spec.mounts === undefined ? [ops.add('/mounts', [mount])] : [ops.add('/mounts/-', mount)];
    },
  });
}
