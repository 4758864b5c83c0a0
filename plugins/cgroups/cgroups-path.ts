import path from 'node:path';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { dropForRootless } from './resources.js';

/**
 * `cgroup_parent` → `linux.cgroupsPath` = `/<parent>/<container>` (docker's cgroupfs layout). The container
 * part is `env.containerId` when the caller knows it, else
 * `container_name`, else compose's default name `<project>-<service>-1`. Without `cgroup_parent` nothing is
 * written and the runtime picks the path.
 */
export function cgroupsPathPlugin() {
  return definePlugin({
    name: 'ctnr:cgroups-path',
    stage: 'cgroups',
    apply(ctx) {
      const { service, spec, env, project, serviceName, error } = ctx;
      const parent = service.cgroup_parent?.trim();
      if (parent === undefined || parent === '') return [];
      if (dropForRootless(ctx, [['cgroup_parent', parent]])) return [];
      if (parent.split('/').includes('..')) {
        error(`cgroup_parent "${parent}" must not contain ".."`, ['cgroup_parent']);
        return [];
      }
      const id = typeof env.containerId === 'string' && env.containerId !== '' ? env.containerId : service.container_name ?? `${project.name}-${serviceName}-1`;
      return [...ops.ensureParents(spec, '/linux/cgroupsPath'), ops.set(spec, '/linux/cgroupsPath', path.posix.join('/', parent, id))];
    },
  });
}
