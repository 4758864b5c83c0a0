import type { Plugin } from '../../src/engine/types.js';
import { annotationsPlugin } from './annotations.js';
import { exposedPortsPlugin } from './exposed-ports.js';
import { healthcheckPlugin } from './healthcheck.js';
import { stopGracePeriodPlugin } from './stop-grace-period.js';
import { stopSignalPlugin } from './stop-signal.js';

/** The annotations stage: labels and compose annotations first, then the keys ctnr derives. */
export function annotationsPlugins(): Plugin[] {
  return [annotationsPlugin(), stopSignalPlugin(), exposedPortsPlugin(), healthcheckPlugin(), stopGracePeriodPlugin()];
}
