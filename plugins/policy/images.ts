import { CONTROL_IDS } from '../../src/policy/controls.js';
import { IMAGE_CONTROL_IDS, IMAGE_CONTROLS, IMAGES_VALIDATOR } from '../../src/policy/image-controls.js';
import { policyValidator, type PolicyOptions } from '../../src/policy/validator.js';

/**
 * Validator for image provenance (src/policy/image-controls.ts): images only from the repositories `allowedImages`
 * names (when given), a tag other than latest, and — with `requireDigest: true` — a digest. Its controls are also
 * judged before an image is pulled (src/policy/pull-gate.ts).
 */
export function imagesPolicyPlugin(options: PolicyOptions = {}) {
  return policyValidator({ name: IMAGES_VALIDATOR, controls: IMAGE_CONTROLS, known: [...CONTROL_IDS, ...IMAGE_CONTROL_IDS] }, options);
}
