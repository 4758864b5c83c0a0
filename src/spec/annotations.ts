import { lookup, ops, pointer } from '../engine/patch.js';
import type { Operation } from '../engine/types.js';
import { CTNR_ANNOTATION_PREFIX } from '../engine/reserved.js';

/**
 * Annotations ctnr writes. Keys under `io.ctnr.` belong to ctnr: only ctnr's plugins write them, and a compose
 * label, compose annotation or image label that tries to is refused (an image must not be able to pre-seed what
 * a supervisor or hook trusts). Documented keys (values are strings, as OCI requires):
 *
 * | key | value |
 * |---|---|
 * | `io.ctnr.healthcheck` | JSON `{"test":[…],"interval":ns,"timeout":ns,"start_period":ns,"start_interval":ns,"retries":n}`: the service's `healthcheck` over the image's (fields it leaves out come from the image); durations in nanoseconds; absent when there is none or it is disabled |
 * | `io.ctnr.stop-grace-period` | decimal nanoseconds from `stop_grace_period` (how long a supervisor waits after the stop signal before SIGKILL); absent when not given (docker's default is 10 s) |
 *
 * ctnr also derives two OCI image annotations (see plugins/annotations/stop-signal.ts and plugins/annotations/exposed-ports.ts); compose
 * labels/annotations may not set them (use `stop_signal` / `expose`) and image labels with those keys are ignored.
 */
/** Keys under it belong to ctnr (the engine enforces it: src/engine/reserved.ts). */
export const CTNR_PREFIX = CTNR_ANNOTATION_PREFIX;
export const HEALTHCHECK_ANNOTATION = 'io.ctnr.healthcheck';
export const STOP_GRACE_PERIOD_ANNOTATION = 'io.ctnr.stop-grace-period';
export const STOP_SIGNAL_ANNOTATION = 'org.opencontainers.image.stopSignal';
export const EXPOSED_PORTS_ANNOTATION = 'org.opencontainers.image.exposedPorts';

/** Keys whose value ctnr derives itself: the `io.ctnr.` namespace and the two OCI keys it computes. */
export function isCtnrOwned(key: string): boolean {
  return key.startsWith(CTNR_PREFIX) || key === STOP_SIGNAL_ANNOTATION || key === EXPOSED_PORTS_ANNOTATION;
}

/**
 * Ops that set annotations: one `add /annotations` with all of them when the object does not exist yet
 * (separate ensureParents per key would each re-create it), else one add/replace per key.
 */
export function setAnnotations(spec: unknown, entries: ReadonlyArray<readonly [string, string]>): Operation[] {
  if (entries.length === 0) return [];
  if (lookup(spec, '/annotations') === undefined) return [ops.add('/annotations', Object.fromEntries(entries))];
  return entries.map(([k, v]) => ops.set(spec, pointer('annotations', k), v));
}
