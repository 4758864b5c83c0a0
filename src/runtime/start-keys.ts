import { CtnrError, type SourceLocation } from '../engine/errors.js';
import type { ServiceInput } from '../engine/engine.js';
import type { Service } from '../engine/service.js';
import { logPolicyOf, type LogPolicy } from './log-policy.js';
import { replicaIds } from './replicas.js';
import { restartPolicyOf, type RestartPolicy } from './restart.js';
import { serviceRuntimeOf } from './select.js';

type Locate = (at: Array<string | number>) => SourceLocation | undefined;

/** What starting one container of a service reads of it, beyond its spec. */
export interface ContainerKeys {
  restart: RestartPolicy | undefined;
  /** The log policy and the warnings about its `logging:` (printed when its first container starts). */
  logging: { policy: LogPolicy; warnings: string[] };
  /** Its own `runtime:` (runc or crun), over the command's. */
  runtime: 'runc' | 'crun' | undefined;
}

/** ContainerKeys, and the names of the containers `up` starts for the service (`scale`/`deploy.replicas`). */
export interface StartKeys extends ContainerKeys {
  ids: string[];
}

/**
 * The service keys only starting a container reads (`restart`/`deploy.restart_policy`, `logging`, `runtime`), read
 * once, each problem a located error before anything starts. `locate` takes the whole path (`services.NAME.…`).
 */
export function containerKeysOf(name: string, service: object, locate: Locate): ContainerKeys {
  return {
    restart: orLocatedError(restartPolicyOf(service), name, locate).policy,
    logging: orLocatedError(logPolicyOf(service), name, locate),
    runtime: orLocatedError(serviceRuntimeOf(service), name, locate).choice,
  };
}

/** What `ctnr up` reads of a service before starting it: its containers' names too (replicas with `container_name`). */
export function startKeysOf(project: string, name: string, service: object, locate: Locate): StartKeys {
  return { ids: replicaIds(project, name, service as Service, locate), ...containerKeysOf(name, service, locate) };
}

/** `ctnr check`: what `up` would refuse of a service before starting it. Throws the first problem, located. */
export function checkStartKeys(project: string, name: string, input: Pick<ServiceInput, 'service' | 'source'>): void {
  startKeysOf(project, name, input.service, (at) => input.source?.locate(at.slice(2)));
}

/** A key's reading, or its problem as a SERVICE_INVALID error at `services.<name>.<path>` (`locate` takes that whole path). */
export function orLocatedError<T extends object>(found: T | { problem: string; path: Array<string | number> }, name: string, locate: Locate): T {
  if (!('problem' in found)) return found;
  const path = ['services', name, ...found.path];
  const location = locate(path);
  throw new CtnrError('SERVICE_INVALID', found.problem, location ? { path, location } : { path });
}
