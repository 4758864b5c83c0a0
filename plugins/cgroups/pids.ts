import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { deployPath, dropForRootless, eitherKey } from './resources.js';

/** `pids_limit` / `deploy.resources.limits.pids` → `linux.resources.pids.limit`; 0 and -1 mean unlimited (docker). */
export function pidsPlugin() {
  return definePlugin({
    name: 'ctnr:pids',
    stage: 'cgroups',
    apply(ctx) {
      const { service, spec, error } = ctx;
      const fromDeploy = service.deploy?.resources?.limits?.pids;
      if (service.pids_limit === undefined && fromDeploy === undefined) return [];
      if (dropForRootless(ctx, [['pids_limit', service.pids_limit], [deployPath('limits', 'pids'), fromDeploy]])) return [];
      const limit = eitherKey(ctx, ['pids_limit', service.pids_limit], [deployPath('limits', 'pids'), fromDeploy]);
      if (limit === undefined || limit === 0 || limit === -1) return [];
      if (limit < -1) {
        error(`pids limit ${limit} is not valid (a positive number, or 0 / -1 for unlimited)`, service.pids_limit !== undefined ? ['pids_limit'] : deployPath('limits', 'pids'));
        return [];
      }
      return [...ops.ensureParents(spec, '/linux/resources/pids'), ops.set(spec, '/linux/resources/pids', { limit })];
    },
  });
}
