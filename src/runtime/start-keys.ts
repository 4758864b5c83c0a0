import { CtnrError } from '../engine/errors.js';
import type { ServiceInput } from '../engine/engine.js';
import type { Service } from '../engine/service.js';
import { logPolicyOf } from './log-policy.js';
import { replicaIds } from './replicas.js';
import { restartPolicyOf } from './restart.js';

/**
 * The service keys only starting a container reads (`restart`/`deploy.restart_policy`, `logging`, `scale`/
 * `deploy.replicas` with `container_name`), checked as `ctnr up` checks them before anything starts: `ctnr check`
 * reports what `up` would refuse. Throws the first problem, located.
 */
export function checkStartKeys(project: string, name: string, input: Pick<ServiceInput, 'service' | 'source'>): void {
  const locate = (at: ReadonlyArray<string | number>) => input.source?.locate(at.slice(2));
  replicaIds(project, name, input.service as Service, locate);
  for (const found of [restartPolicyOf(input.service), logPolicyOf(input.service)]) {
    if (!('problem' in found)) continue;
    const path = ['services', name, ...found.path];
    const location = locate(path);
    throw new CtnrError('SERVICE_INVALID', found.problem, location ? { path, location } : { path });
  }
}
