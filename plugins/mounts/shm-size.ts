import { definePlugin } from '../../src/engine/define.js';
import { mergeMountOptions, mountIndex } from '../../src/spec/mounts.js';
import { ops } from '../../src/engine/patch.js';

/**
 * `shm_size` (bytes, from the loader) → `size=<bytes>` on the `/dev/shm` tmpfs, as docker does. When no tmpfs
 * is mounted on /dev/shm (an `ipc` mode or a user mount took its place), the size has nothing to apply to
 * and the user is told. Runs before the user-mount plugins: a user mount on /dev/shm wins, as in docker.
 */
export function shmSizePlugin() {
  return definePlugin({
    name: 'ctnr:shm-size',
    stage: 'mounts',
    before: ['ctnr:tmpfs', 'ctnr:volumes'],
    apply({ service, spec, warn, error }) {
      const size = service.shm_size;
      if (size === undefined) return [];
      if (!Number.isSafeInteger(size) || size <= 0) {
        error(`shm_size must be a positive size, got ${size}`, ['shm_size']);
        return [];
      }
      const at = mountIndex(spec.mounts, '/dev/shm');
      const mount = at >= 0 ? spec.mounts![at]! : undefined;
      if (!mount || mount.type !== 'tmpfs') {
        warn('shm_size has no effect: /dev/shm is not a tmpfs mount in this spec', ['shm_size']);
        return [];
      }
      return [ops.set(spec, `/mounts/${at}/options`, mergeMountOptions(mount.options ?? [], [`size=${size}`]))];
    },
  });
}
