import type { Plugin } from '../../src/engine/types.js';
import { maskedPathsPlugin } from './masked-paths.js';
import { mountOrderPlugin } from './mount-order.js';
import { readOnlyPlugin } from './read-only.js';
import { shmSizePlugin } from './shm-size.js';
import { tmpfsPlugin } from './tmpfs.js';
import { volumesPlugin } from './volumes.js';
import { secretsPlugin } from './secrets.js';
import { configsPlugin } from './configs.js';
import { imageVolumesPlugin } from './image-volumes.js';
import { volumesFromPlugin } from './volumes-from.js';

/** The mounts stage: root read-only, /dev/shm size, masked paths, the user's tmpfs and volumes, volumes_from, secrets and configs, the image's volumes. */
export function mountsPlugins(): Plugin[] {
  return [readOnlyPlugin(), shmSizePlugin(), maskedPathsPlugin(), tmpfsPlugin(), volumesPlugin(), volumesFromPlugin(), secretsPlugin(), configsPlugin(), imageVolumesPlugin(), mountOrderPlugin()];
}
