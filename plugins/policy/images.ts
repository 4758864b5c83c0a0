import { z } from 'zod';
import { CONTROL_IDS } from '../../src/policy/controls.js';
import { IMAGE_CONTROL_IDS, IMAGE_CONTROLS } from '../../src/policy/image-controls.js';
import { policyValidator, type PolicyOptions } from '../../src/policy/validator.js';
import { lazyOptions } from '../options.js';

export interface ImagesPolicyOptions extends PolicyOptions {
  /** Also require images pinned by digest (control `imageDigest`). */
  requireDigest?: boolean;
}

const checkOptions = lazyOptions('ctnr:policy-images', () => z.looseObject({ requireDigest: z.boolean().optional() }));

/**
 * Validator for image provenance (src/policy/image-controls.ts): images only from the repositories `allowedImages`
 * names (when given), a tag other than latest, and — with `requireDigest: true` — a digest.
 */
export function imagesPolicyPlugin(options: ImagesPolicyOptions = {}) {
  const { requireDigest, ...rest } = checkOptions(options) as ImagesPolicyOptions;
  const controls = IMAGE_CONTROLS.filter((c) => (c.id !== 'imageDigest' || requireDigest === true) && (c.id !== 'imageRegistries' || rest.allowedImages !== undefined));
  return policyValidator({ name: 'ctnr:policy-images', controls, known: [...CONTROL_IDS, ...IMAGE_CONTROL_IDS] }, rest);
}
