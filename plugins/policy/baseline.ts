import { controlsOf } from '../../src/policy/controls.js';
import { policyValidator, type PolicyOptions } from '../../src/policy/validator.js';

/**
 * Validator for the Kubernetes Pod Security Standards "baseline" level, mapped to OCI fields (see
 * src/policy/controls.ts and docs/policy.md): host namespaces, privileged, capabilities beyond the baseline
 * set, host-path binds, published host ports, AppArmor/SELinux/seccomp unconfined, unsafe sysctls, /proc
 * mount. Options: `mode`, per-control `controls`, `exemptions`, `allowedHostPaths`, `strictCapabilities`.
 */
export function baselinePolicyPlugin(options: PolicyOptions = {}) {
  return policyValidator({ name: 'ctnr:policy-baseline', controls: controlsOf('baseline') }, options);
}
