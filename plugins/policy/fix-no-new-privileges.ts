import { definePlugin } from '../../src/engine/define.js';
import { pluginOptions } from '../../src/engine/options.js';
import { ops } from '../../src/engine/patch.js';
import { fixApplies, fixOptionsSchema, type FixOptions } from '../../src/policy/fix.js';
import { serviceSubject } from '../../src/policy/subject.js';

/**
 * Restricted `fix: true`: `process.noNewPrivileges = true` (PSS allowPrivilegeEscalation: false), even over
 * an explicit `no-new-privileges:false` — the trace records whose value it replaced.
 */
export function policyFixNoNewPrivilegesPlugin(options: FixOptions = {}) {
  const opts = pluginOptions('ctnr:policy-fix-no-new-privileges', fixOptionsSchema(), options);
  return definePlugin({
    name: 'ctnr:policy-fix-no-new-privileges',
    stage: 'process',
    enforce: 'post',
    options: opts,
    // reads only the spec: runs in ctnr-runtime's spec mode too
    anySpec: true,
    apply({ spec, service, serviceName }) {
      if (!spec.process || spec.process.noNewPrivileges === true) return [];
      if (!fixApplies(opts, serviceSubject(serviceName, service.image, spec.annotations), 'allowPrivilegeEscalation')) return [];
      return [ops.set(spec, '/process/noNewPrivileges', true)];
    },
  });
}
