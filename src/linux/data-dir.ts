import path from 'node:path';

/**
 * The layout of ctnr's data directory (`Env.dataDir`: `/var/lib/ctnr`, or `$XDG_DATA_HOME/ctnr` rootless), in
 * one place: the plugins that name paths in it, the bundle writer that creates them and the image store agree
 * through these names.
 */

/** Named volumes: `<dataDir>/volumes/<name>`, shared by every service of a project. */
export const VOLUMES_DIR = 'volumes';
/** The image store (src/image/store.ts). */
export const IMAGES_DIR = 'images';

export function volumesRoot(dataDir: string): string {
  return path.join(dataDir, VOLUMES_DIR);
}

export function imagesRoot(dataDir: string): string {
  return path.join(dataDir, IMAGES_DIR);
}
