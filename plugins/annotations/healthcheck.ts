import { definePlugin } from '../../src/engine/define.js';
import { HEALTHCHECK_ANNOTATION, setAnnotations } from '../../src/spec/annotations.js';
import type { Healthcheck } from '../../src/engine/service.js';

/** The image config's Healthcheck (docker's extension of the OCI image config; durations in ns). */
interface ImageHealthcheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** Docker's defaults for fields neither the service nor the image sets (ns). */
const DEFAULTS = { interval: 30e9, timeout: 30e9, start_period: 0, start_interval: 5e9, retries: 3 };

/**
 * `healthcheck` over the image's Healthcheck → `io.ctnr.healthcheck` (src/annotations.ts documents the JSON), so
 * the supervisor running the bundle can probe it. Docker's merge: each field the service leaves out (or sets to
 * 0) comes from the image, then docker's defaults; `disable: true` or a `NONE` test (from either) means none.
 */
export function healthcheckPlugin() {
  return definePlugin({
    name: 'ctnr:healthcheck',
    stage: 'annotations',
    after: ['ctnr:annotations'],
    apply({ service, image, spec }) {
      const own = service.healthcheck as Healthcheck | undefined;
      const img = (image as { Healthcheck?: ImageHealthcheck } | undefined)?.Healthcheck;
      if (own?.disable) return [];
      const test = own?.test?.length ? own.test : img?.Test;
      if (!test?.length || test[0] === 'NONE') return [];
      const pick = (mine: number | undefined, theirs: number | undefined, dflt: number) => (mine ? mine : theirs ? theirs : dflt);
      const value = {
        test,
        interval: pick(own?.interval, img?.Interval, DEFAULTS.interval),
        timeout: pick(own?.timeout, img?.Timeout, DEFAULTS.timeout),
        start_period: pick(own?.start_period, img?.StartPeriod, DEFAULTS.start_period),
        start_interval: pick(own?.start_interval, img?.StartInterval, DEFAULTS.start_interval),
        retries: pick(own?.retries, img?.Retries, DEFAULTS.retries),
      };
      return setAnnotations(spec, [[HEALTHCHECK_ANNOTATION, JSON.stringify(value)]]);
    },
  });
}
