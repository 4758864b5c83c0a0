import type { Plugin } from '../../src/types.js';
import { maskedPathsPlugin } from '../../plugins/masked-paths.js';
import { mountOrderPlugin } from '../../plugins/mount-order.js';
import { readOnlyPlugin } from '../../plugins/read-only.js';
import { shmSizePlugin } from '../../plugins/shm-size.js';
import { tmpfsPlugin } from '../../plugins/tmpfs.js';
import { volumesPlugin } from '../../plugins/volumes.js';
import { secretsPlugin } from '../../plugins/secrets.js';
import { configsPlugin } from '../../plugins/configs.js';
import { imageVolumesPlugin } from '../../plugins/image-volumes.js';

/** The mounts stage: root read-only, /dev/shm size, masked paths, the user's tmpfs and volumes, secrets and configs, the image's volumes. */
export function mountsPlugins(): Plugin[] {
  return [readOnlyPlugin(), shmSizePlugin(), maskedPathsPlugin(), tmpfsPlugin(), volumesPlugin(), secretsPlugin(), configsPlugin(), imageVolumesPlugin(), mountOrderPlugin()];
}
