import type { Plugin } from '../../src/types.js';
import { annotationsPlugin } from '../../plugins/annotations.js';
import { exposedPortsPlugin } from '../../plugins/exposed-ports.js';
import { healthcheckPlugin } from '../../plugins/healthcheck.js';
import { stopGracePeriodPlugin } from '../../plugins/stop-grace-period.js';
import { stopSignalPlugin } from '../../plugins/stop-signal.js';

/** The annotations stage: labels and compose annotations first, then the keys ctnr derives. */
export function annotationsPlugins(): Plugin[] {
  return [annotationsPlugin(), stopSignalPlugin(), exposedPortsPlugin(), healthcheckPlugin(), stopGracePeriodPlugin()];
}
