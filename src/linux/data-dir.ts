import path from 'node:path';
import { remembered } from '../engine/remember.js';

/**
 * The layout of ctnr's data directory (`Env.dataDir`: `/var/lib/ctnr`, or `$XDG_DATA_HOME/ctnr` rootless), in
 * one place: the plugins that name paths in it, the bundle writer that creates them and the image store agree
 * through these names.
 */

/** Named volumes: `<dataDir>/volumes/<name>`, shared by every service of a project. */
export const VOLUMES_DIR = 'volumes';
/** The image store (src/image/store.ts). */
export const IMAGES_DIR = 'images';

/** `<dataDir>/volumes`, normalised; remembered (every service of a run asks about the same dataDir). */
export const volumesRoot: (dataDir: string) => string = remembered((dataDir) => path.join(dataDir, VOLUMES_DIR), 64);

export function imagesRoot(dataDir: string): string {
  return path.join(dataDir, IMAGES_DIR);
}
