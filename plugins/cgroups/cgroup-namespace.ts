import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';

/**
 * `cgroup: private` → a cgroup namespace (the container sees its own cgroup as `/`); `host` → none. Without
 * the key nothing changes (docker's default on cgroup v1 is host). The cgroups stage owns the `cgroup`
 * namespace type only.
 */
export function cgroupNamespacePlugin() {
  return definePlugin({
    name: 'ctnr:cgroup-namespace',
    stage: 'cgroups',
    apply({ service, spec }) {
      const namespaces = spec.linux?.namespaces ?? [];
      const at = namespaces.findIndex((n) => n.type === 'cgroup');
      if (service.cgroup === 'private' && at < 0) {
        if (spec.linux?.namespaces === undefined) return [...ops.ensureParents(spec, '/linux/namespaces'), ops.add('/linux/namespaces', [{ type: 'cgroup' }])];
        return [ops.add('/linux/namespaces/-', { type: 'cgroup' })];
      }
      if (service.cgroup === 'host' && at >= 0) return [ops.remove(`/linux/namespaces/${at}`)];
      return [];
    },
  });
}
