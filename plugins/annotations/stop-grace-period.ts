import { definePlugin } from '../../src/engine/define.js';
import { STOP_GRACE_PERIOD_ANNOTATION, setAnnotations } from '../../src/spec/annotations.js';

/** `stop_grace_period` (ns after the compose loader) → `io.ctnr.stop-grace-period` (decimal ns) for the supervisor. */
export function stopGracePeriodPlugin() {
  return definePlugin({
    name: 'ctnr:stop-grace-period',
    stage: 'annotations',
    after: ['ctnr:annotations'],
    apply({ service, spec, error }) {
      const ns = service.stop_grace_period;
      if (ns === undefined) return [];
      if (!Number.isSafeInteger(ns) || ns < 0) {
        error(`stop_grace_period must be a non-negative duration, got ${ns} ns`, ['stop_grace_period']);
        return [];
      }
      return setAnnotations(spec, [[STOP_GRACE_PERIOD_ANNOTATION, String(ns)]]);
    },
  });
}
