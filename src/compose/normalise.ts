import { CtnrError, didYouMean } from '../engine/errors.js';
import type { Diagnostic } from '../engine/types.js';
import { checkServiceKeys } from './check-keys.js';
import type { ComposeFile, ComposeProject } from './compose-project.js';
import { fastService } from './fast-service.js';
import { resolveServicePaths } from './files.js';
import { zodToError } from './issues.js';
import { serviceSchemas, type Service } from './service.js';

/**
 * One service as written in its file, without its `extends` parent: key policy, schema (or its fast path for the
 * common shapes), host paths made absolute, references to the top-level tables. `extends` is left on the service for
 * extends.ts. Errors are located in the file the service was written in.
 */
export function normaliseOwnService(project: ComposeProject, name: string, diagnostics: Diagnostic[]): Service {
  const origin = project.origins[name] ?? project;
  const base = ['services', name];
  const raw = project.services[name];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CtnrError('SERVICE_INVALID', 'a service must be a mapping', { path: base, location: origin.positions.locate(base) });
  }
  checkServiceKeys(raw, base, origin, project.allowUnsupported, diagnostics);
  // Common shapes without zod (fast-service.ts); the schema decides everything else and words every error.
  let fields = fastService(raw);
  if (fields === undefined) {
    const parsed = serviceSchemas().serviceSchema.safeParse(raw);
    if (!parsed.success) throw zodToError(parsed.error, base, origin.positions, raw);
    fields = parsed.data;
  }
  const service = fields as unknown as Service;
  resolveServicePaths(service, origin.dir, project.environment.HOME ?? '/');
  checkReferences(service, project, origin, base);
  return service;
}

/** Named volumes, networks, secrets and configs must be declared at the top level, as compose requires. */
function checkReferences(service: Service, project: ComposeProject, origin: ComposeFile, base: string[]): void {
  const fail = (what: string, name: string, table: Readonly<Record<string, unknown>>, segs: Array<string | number>) => {
    throw new CtnrError('SERVICE_INVALID', `${what} "${name}" is not declared in the top-level "${what}s:" table${didYouMean(name, Object.keys(table))}`, {
      path: [...base, ...segs],
      location: origin.positions.locate([...base, ...segs]),
    });
  };
  const t = project.project;
  service.volumes?.forEach((v, i) => {
    if (v.type === 'volume' && v.source !== undefined && !(v.source in t.volumes)) fail('volume', v.source, t.volumes, ['volumes', i]);
  });
  if (service.networks) {
    for (const n of Object.keys(service.networks)) if (n !== 'default' && !(n in t.networks)) fail('network', n, t.networks, ['networks', n]);
  }
  service.secrets?.forEach((s, i) => {
    if (!(s.source in t.secrets)) fail('secret', s.source, t.secrets, ['secrets', i]);
  });
  service.configs?.forEach((c, i) => {
    if (!(c.source in t.configs)) fail('config', c.source, t.configs, ['configs', i]);
  });
}
