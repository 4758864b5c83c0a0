import { CtnrError, didYouMean, renderPath } from '../engine/errors.js';
import type { Diagnostic } from '../engine/types.js';
import type { ComposeProject } from './compose-project.js';
import { displayPath, readProjectFile, resolveHostPath } from './files.js';
import { parseCompose } from './load.js';
import { normaliseOwnService } from './normalise.js';
import { mergeSecurityOpts } from './security-opt.js';
import type { Service } from './service.js';

/**
 * The files `extends.file` named, parsed once per project: a batch of services extending one file reads and
 * parses it once, and every service of the project sees the same parent file.
 */
const extendedFiles = new WeakMap<ComposeProject, Map<string, ComposeProject>>();

/**
 * One service normalised (normaliseOwnService), with its `extends` chain merged in: the parent, from this project
 * or from `extends.file` (read with parseCompose, once per project), is normalised the same way and the child
 * merged over it (mergeServices), then the child's `!reset` and `!override` keys applied. `chain` holds
 * `file#service` ids above.
 */
export function normaliseWithExtends(project: ComposeProject, name: string, diagnostics: Diagnostic[], chain: readonly string[]): Service {
  const origin = project.origins[name] ?? project;
  const base = ['services', name];
  const service = normaliseOwnService(project, name, diagnostics);

  if (!service.extends) return service;
  const ext = service.extends;
  delete service.extends;
  const at = [...base, 'extends'];
  const id = `${origin.file}#${name}`;
  if (chain.includes(id)) {
    throw new CtnrError('SERVICE_INVALID', `extends cycle: ${[...chain, id].map((c) => c.split('#')[1]).join(' → ')}`, { path: at, location: origin.positions.locate(at) });
  }
  let parentProject = project;
  if (ext.file !== undefined) {
    const file = resolveHostPath(ext.file, origin.dir, project.environment.HOME ?? '/');
    let files = extendedFiles.get(project);
    if (files === undefined) extendedFiles.set(project, (files = new Map()));
    let parsed = files.get(file);
    if (parsed === undefined) {
      const display = displayPath(file, process.cwd());
      parsed = parseCompose(readProjectFile(file, display, () => origin.positions.locate(at), renderPath(at)), file, display, {
        environment: project.environment,
        variables: project.variables,
        allowUnsupported: project.allowUnsupported,
      });
      files.set(file, parsed);
    }
    parentProject = parsed;
  }
  if (parentProject.services[ext.service] === undefined) {
    const names = Object.keys(parentProject.services);
    throw new CtnrError('SERVICE_INVALID', `extends: no service "${ext.service}" in ${parentProject.displayFile}${didYouMean(ext.service, names)}`, {
      path: at,
      location: origin.positions.locate(at),
    });
  }
  const parent = normaliseWithExtends(parentProject, ext.service, diagnostics, [...chain, id]);
  const merged = mergeServices(parent, service) as Record<string, unknown>;
  for (const k of project.mergeTags.reset[name] ?? []) delete merged[k];
  for (const k of project.mergeTags.override[name] ?? []) if (k in service) merged[k] = (service as Record<string, unknown>)[k];
  return merged as Service;
}

/**
 * Compose's merge rules for `extends`: mappings merge by key, mounts/devices by target, secrets/configs by
 * source, plain sequences append (without duplicates), `command`/`entrypoint`/`healthcheck.test` and scalars
 * are replaced. `links` and `volumes_from` are never inherited.
 */
export function mergeServices(parent: Service, child: Service): Service {
  const out: Record<string, unknown> = { ...parent };
  delete out.links;
  delete out.volumes_from;
  const byKey = <T>(a: T[] | undefined, b: T[], key: (x: T) => string): T[] => {
    const map = new Map<string, T>();
    for (const x of [...(a ?? []), ...b]) {
      map.delete(key(x));
      map.set(key(x), x);
    }
    return [...map.values()];
  };
  for (const [k, v] of Object.entries(child)) {
    const p = (parent as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (p === undefined || v === null) {
      out[k] = v;
      continue;
    }
    switch (k) {
      case 'environment':
        out[k] = byKey(p as Array<[string, unknown]>, v as Array<[string, unknown]>, (e) => e[0]);
        break;
      case 'volumes':
      case 'devices':
      case 'tmpfs':
        out[k] = byKey(p as Array<{ target: string }>, v as Array<{ target: string }>, (e) => e.target);
        break;
      case 'secrets':
      case 'configs':
        out[k] = byKey(p as Array<{ source: string }>, v as Array<{ source: string }>, (e) => e.source);
        break;
      case 'ports':
      case 'env_file':
      case 'extra_hosts':
        out[k] = byKey(p as unknown[], v as unknown[], (e) => JSON.stringify(e));
        break;
      case 'command':
      case 'entrypoint':
        out[k] = v;
        break;
      case 'security_opt':
        out[k] = mergeSecurityOpts(p as Service['security_opt'] & {}, v as Service['security_opt'] & {});
        break;
      default:
        out[k] = mergeValue(p, v);
    }
  }
  return out as Service;
}

function mergeValue(p: unknown, v: unknown): unknown {
  if (Array.isArray(p) && Array.isArray(v)) return [...new Set([...p, ...v].map((x) => JSON.stringify(x)))].map((x) => JSON.parse(x) as unknown);
  if (isPlainObject(p) && isPlainObject(v)) {
    const out: Record<string, unknown> = Object.assign(Object.create(null), p);
    for (const [k, x] of Object.entries(v)) out[k] = Object.hasOwn(p, k) && k !== 'test' ? mergeValue(p[k], x) : x;
    return out;
  }
  return v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
