import { definePlugin } from '../../src/engine/define.js';
import { pluginOptions } from '../../src/engine/options.js';
import { ops } from '../../src/engine/patch.js';
import { fixApplies, fixOptionsSchema, type FixOptions } from '../../src/policy/fix.js';
import { serviceSubject } from '../../src/policy/subject.js';

/**
 * Restricted `fix: true` with `readOnlyRoot: true`: `root.readonly = true`. Last in the mounts stage, after
 * `read_only` has been read, so it only adds what the service did not ask for.
 */
export function policyFixReadOnlyRootPlugin(options: FixOptions = {}) {
  const opts = pluginOptions('ctnr:policy-fix-read-only-root', fixOptionsSchema(), options);
  return definePlugin({
    name: 'ctnr:policy-fix-read-only-root',
    stage: 'mounts',
    enforce: 'post',
    options: opts,
    // reads only the spec: runs in ctnr-runtime's spec mode too
    anySpec: true,
    apply({ spec, service, serviceName }) {
      if (spec.root?.readonly === true || !fixApplies(opts, serviceSubject(serviceName, service.image, spec.annotations), 'readOnlyRootFilesystem')) return [];
      if (!spec.root) return [ops.add('/root', { path: 'rootfs', readonly: true })];
      return [ops.set(spec, '/root/readonly', true)];
    },
  });
}
