import { shippedPreset } from '../src/engine/reserved.js';
import { pluginOptions } from '../src/engine/options.js';
import type { Preset } from '../src/engine/types.js';
import { validatorSchemas, type PolicyOptions } from '../src/policy/validator.js';
import { imagesPolicyPlugin } from '../plugins/policy/images.js';
import { POLICY_STAGE } from './baseline.js';

/** Modes, controls and exemptions as every policy preset takes them, `allowedImages` and `requireDigest`. */
export type ImagesPresetOptions = PolicyOptions;

/**
 * Image provenance, on top of whatever pipeline the config builds (a validator, no mutators): images only from the
 * repositories `allowedImages` names (`registry.internal/*`), never the `latest` tag, and with `requireDigest` only
 * pinned by digest. `mode`, per-control `controls` and `exemptions` as in the other policy presets. docs/policy.md.
 */
export function imagesPreset(options: ImagesPresetOptions = {}): Preset {
  const opts = pluginOptions('ctnr:preset-images', validatorSchemas().policyOptions, options);
  return shippedPreset({
    name: 'ctnr:preset-images',
    stages: [POLICY_STAGE],
    plugins: [imagesPolicyPlugin(opts)],
  });
}
