import { CtnrError, type SourceLocation } from '../engine/errors.js';
import type { Service } from '../engine/service.js';
import { scaleOf } from '../../plugins/network/hostname.js';

type KeyPath = Array<string | number>;

/**
 * The containers `ctnr up` runs for a service: `scale` (or `deploy.replicas`, compose's GetScale) of them. One is
 * `<project>-<service>` (as `ctnr run` names it); several are `<project>-<service>-1` … `-N`, as compose names
 * them; 0 is none. What cannot work with several is refused, located: `scale` and `deploy.replicas` that differ
 * (compose's check), a `container_name` (one name for N containers; compose's check), a published host port
 * (N containers cannot bind one host port; leave it out and each gets an ephemeral one).
 */
export function replicaIds(project: string, name: string, service: Service, locate: (path: KeyPath) => SourceLocation | undefined = () => undefined): string[] {
  const fail = (message: string, at: KeyPath) => {
    const path = ['services', name, ...at];
    const location = locate(path);
    throw new CtnrError('SERVICE_INVALID', message, location ? { path, location } : { path });
  };
  const { scale, deploy } = service;
  const replicas = deploy?.replicas;
  if (scale !== undefined && replicas !== undefined && scale !== replicas) fail(`can't set distinct values on 'scale' (${scale}) and 'deploy.replicas' (${replicas})`, ['scale']);
  if (scale !== undefined && scale < 0) fail(`scale must be 0 or more, got ${scale}`, ['scale']);
  if (replicas !== undefined && replicas < 0) fail(`deploy.replicas must be 0 or more, got ${replicas}`, ['deploy', 'replicas']);
  const n = scaleOf(service);
  const from = scale !== undefined ? 'scale' : 'deploy.replicas';
  if (n > 1) {
    if (service.container_name !== undefined) {
      fail(`container_name "${service.container_name}" names one container, and ${from} asks for ${n}: remove the custom name to scale the service (compose refuses it too)`, ['container_name']);
    }
    (service.ports ?? []).forEach((p, i) => {
      if (p.published !== undefined) fail(`host port ${p.published} cannot be published by ${n} replicas (${from}): leave the host port out and each gets an ephemeral one`, ['ports', i]);
    });
  }
  if (n === 1) return [`${project}-${name}`];
  return Array.from({ length: n }, (_, i) => `${project}-${name}-${i + 1}`);
}
