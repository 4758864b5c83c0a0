import { definePlugin } from '../../src/engine/define.js';
import { pluginOptions } from '../../src/engine/options.js';
import { ops } from '../../src/engine/patch.js';
import { fixApplies, fixOptionsSchema, type FixOptions } from '../../src/policy/fix.js';

/**
 * Restricted `fix: true` with `readOnlyRoot: true`: `root.readonly = true`. Last in the mounts stage, after
 * `read_only` has been read, so it only adds what the service did not ask for.
 */
export function policyFixReadOnlyRootPlugin(options: FixOptions = {}) {
  const opts = pluginOptions('ctnr:policy-fix-read-only-root', fixOptionsSchema, options);
  return definePlugin({
    name: 'ctnr:policy-fix-read-only-root',
    stage: 'mounts',
    enforce: 'post',
    options: opts,
    apply({ spec, serviceName }) {
      if (spec.root?.readonly === true || !fixApplies(opts, serviceName, 'readOnlyRootFilesystem')) return [];
      if (!spec.root) return [ops.add('/root', { path: 'rootfs', readonly: true })];
      return [ops.set(spec, '/root/readonly', true)];
    },
  });
}
