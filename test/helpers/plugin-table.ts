/**
 * Small helpers for plugin tables (`testPluginYaml`, test/helpers/engine.ts): the spec an earlier plugin
 * would have left, and the error the compose loader refuses a fragment with before any plugin runs.
 */
import { createBaseSpec } from '../../presets/engines/docker-base.js';
import type { CtnrError } from '../../src/engine/errors.js';
import type { Spec } from '../../src/spec/types.js';
import { loadServiceYaml, type RunOptions } from './engine.js';

/**
 * Docker's base spec (a fresh one) changed by `change`: what the plugins of earlier stages would have written,
 * given by hand so that one plugin can run alone (`baseSpec((s) => { s.process!.user = { uid: 1000, gid: 0 }; })`).
 */
export function baseSpec(change: (spec: Spec) => void = () => {}): Spec {
  const spec = createBaseSpec();
  change(spec);
  return spec;
}

/** The CtnrError the compose loader throws for a fragment (the schema, short-syntax parsing); fails the test if it loads. */
export function loadError(service: Record<string, unknown>, options: RunOptions = {}): CtnrError {
  try {
    loadServiceYaml(service, options);
  } catch (err) {
    return err as CtnrError;
  }
  throw new Error('expected the compose loader to refuse the service');
}
