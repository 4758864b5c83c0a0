import { z } from 'zod';
import { controlsOf } from '../../src/policy/controls.js';
import { policyValidator, type PolicyOptions } from '../../src/policy/validator.js';
import { lazyOptions } from '../options.js';

export interface RestrictedPolicyOptions extends PolicyOptions {
  /** Also require a read-only root filesystem (control `readOnlyRootFilesystem`). */
  readOnlyRoot?: boolean;
}

const checkOptions = lazyOptions('ctnr:policy-restricted', () => z.looseObject({ readOnlyRoot: z.boolean().optional() }));

/**
 * Validator for the controls PSS "restricted" adds on top of baseline (the restricted preset runs both):
 * volume types, no-new-privileges, run as non-root, a required seccomp allow-list, capabilities limited to
 * NET_BIND_SERVICE, and — with `readOnlyRoot: true` — a read-only root filesystem.
 */
export function restrictedPolicyPlugin(options: RestrictedPolicyOptions = {}) {
  const { readOnlyRoot, ...rest } = checkOptions(options) as RestrictedPolicyOptions;
  const controls = controlsOf('restricted').filter((c) => readOnlyRoot === true || c.id !== 'readOnlyRootFilesystem');
  return policyValidator({ name: 'ctnr:policy-restricted', controls }, rest);
}
