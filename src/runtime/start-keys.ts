import { CtnrError, type SourceLocation } from '../engine/errors.js';
import type { ServiceInput } from '../engine/engine.js';
import type { Service } from '../engine/service.js';
import { logPolicyOf } from './log-policy.js';
import { replicaIds } from './replicas.js';
import { restartPolicyOf } from './restart.js';
import { serviceRuntimeOf } from './select.js';

/**
 * The service keys only starting a container reads (`restart`/`deploy.restart_policy`, `logging`, `runtime`,
 * `scale`/`deploy.replicas` with `container_name`), checked as `ctnr up` checks them before anything starts: `ctnr check`
 * reports what `up` would refuse. Throws the first problem, located.
 */
export function checkStartKeys(project: string, name: string, input: Pick<ServiceInput, 'service' | 'source'>): void {
  const locate = (at: ReadonlyArray<string | number>) => input.source?.locate(at.slice(2));
  replicaIds(project, name, input.service as Service, locate);
  orLocatedError(restartPolicyOf(input.service), name, locate);
  orLocatedError(logPolicyOf(input.service), name, locate);
  orLocatedError(serviceRuntimeOf(input.service), name, locate);
}

/** A key's reading, or its problem as a SERVICE_INVALID error at `services.<name>.<path>` (`locate` takes that whole path). */
export function orLocatedError<T extends object>(
  found: T | { problem: string; path: Array<string | number> },
  name: string,
  locate: (at: Array<string | number>) => SourceLocation | undefined,
): T {
  if (!('problem' in found)) return found;
  const path = ['services', name, ...found.path];
  const location = locate(path);
  throw new CtnrError('SERVICE_INVALID', found.problem, location ? { path, location } : { path });
}
