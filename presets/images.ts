import { z } from 'zod';
import { shippedPreset } from '../src/engine/reserved.js';
import { pluginOptions } from '../src/engine/options.js';
import type { Preset } from '../src/engine/types.js';
import { policyOptionsSchema } from '../src/policy/validator.js';
import { imagesPolicyPlugin } from '../plugins/policy/images.js';
import { POLICY_STAGE } from './baseline.js';

const optionsSchema = policyOptionsSchema.extend({
  /** Also require every image pinned by digest (`name@sha256:…`). */
  requireDigest: z.boolean().optional(),
});
export type ImagesPresetOptions = z.input<typeof optionsSchema>;

/**
 * Image provenance, on top of whatever pipeline the config builds (a validator, no mutators): images only from the
 * repositories `allowedImages` names (`registry.internal/*`), never the `latest` tag, and with `requireDigest` only
 * pinned by digest. `mode`, per-control `controls` and `exemptions` as in the other policy presets. docs/policy.md.
 */
export function imagesPreset(options: ImagesPresetOptions = {}): Preset {
  const opts = pluginOptions('ctnr:preset-images', optionsSchema, options);
  return shippedPreset({
    name: 'ctnr:preset-images',
    stages: [POLICY_STAGE],
    plugins: [imagesPolicyPlugin(opts)],
  });
}
