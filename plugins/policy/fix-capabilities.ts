import { definePlugin } from '../../src/engine/define.js';
import { pluginOptions } from '../../src/engine/options.js';
import { ops } from '../../src/engine/patch.js';
import { RESTRICTED_CAPABILITIES } from '../../src/policy/controls.js';
import { fixApplies, fixOptionsSchema, type FixOptions } from '../../src/policy/fix.js';
import { serviceSubject } from '../../src/policy/subject.js';

/**
 * Restricted `fix: true`: keep only CAP_NET_BIND_SERVICE in every capability set (PSS restricted "drop ALL").
 * Runs last in the process stage, so the seccomp stage derives its default profile from the reduced set and
 * the trace shows this plugin overriding `ctnr:capabilities`. A service exempt from `capabilitiesRestricted`
 * keeps its capabilities.
 */
export function policyFixCapabilitiesPlugin(options: FixOptions = {}) {
  const opts = pluginOptions('ctnr:policy-fix-capabilities', fixOptionsSchema(), options);
  return definePlugin({
    name: 'ctnr:policy-fix-capabilities',
    stage: 'process',
    enforce: 'post',
    options: opts,
    // reads only the spec: runs in ctnr-runtime's spec mode too
    anySpec: true,
    apply({ spec, service, serviceName }) {
      const caps = spec.process?.capabilities;
      if (!caps || !fixApplies(opts, serviceSubject(serviceName, service.image, spec.annotations), 'capabilitiesRestricted')) return [];
      const next: Record<string, string[]> = {};
      let changed = false;
      for (const [set, list] of Object.entries(caps)) {
        const kept = (list ?? []).filter((c) => RESTRICTED_CAPABILITIES.includes(c));
        if (kept.length !== (list ?? []).length) changed = true;
        next[set] = kept;
      }
      return changed ? [ops.replace('/process/capabilities', next)] : [];
    },
  });
}
