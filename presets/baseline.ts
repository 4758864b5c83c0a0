import { shippedPreset } from '../src/engine/reserved.js';
import type { Preset } from '../src/engine/types.js';
import { baselinePolicyPlugin } from '../plugins/policy/baseline.js';
import { parsePolicyOptions, type PolicyOptions } from '../src/policy/validator.js';

/** The stage the policy presets add: validators run after every mutator anyway; this names where they sit. */
export const POLICY_STAGE = { name: 'policy', after: 'hooks' } as const;

export type BaselinePresetOptions = PolicyOptions;

/**
 * Kubernetes Pod Security Standards "baseline", on top of whatever pipeline the config builds (it adds no
 * mutators: use it with `default`, `podman`, …). `mode` (default enforce), per-control `controls`,
 * `exemptions` with reasons. See docs/policy.md.
 */
export function baselinePreset(options: BaselinePresetOptions = {}): Preset {
  parsePolicyOptions('ctnr:preset-baseline', options);
  return shippedPreset({
    name: 'ctnr:preset-baseline',
    stages: [POLICY_STAGE],
    plugins: [baselinePolicyPlugin(options)],
  });
}
