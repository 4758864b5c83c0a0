import type { SourceLocation } from '../engine/errors.js';
import { CtnrError } from '../engine/errors.js';
import { linkedServices } from '../network/links.js';
import { parseVolumesFrom } from '../../plugins/mounts/volumes-from.js';

type KeyPath = Array<string | number>;

/**
 * The services `service` needs started before it, as compose derives them: `depends_on` (list or map form),
 * `links`, `volumes_from` services, and `service:NAME` in `network_mode`, `ipc` and `pid`. Each with the key path
 * that names it (below the service), for errors. Works on a raw or a normalised service.
 */
export function dependencyRefs(service: unknown): Array<{ name: string; at: KeyPath; optional?: true }> {
  const s = (service ?? {}) as Record<string, unknown>;
  const out: Array<{ name: string; at: KeyPath; optional?: true }> = [];
  const deps = s.depends_on;
  if (Array.isArray(deps)) for (const d of deps) if (typeof d === 'string') out.push({ name: d, at: ['depends_on'] });
  if (deps && typeof deps === 'object' && !Array.isArray(deps)) {
    for (const [d, how] of Object.entries(deps)) {
      // `required: false` (compose 2.20): a dependency that is not there is noted, not an error.
      const required = (how as { required?: unknown } | null)?.required;
      out.push({ name: d, at: ['depends_on', d], ...(required === false || required === 'false' ? { optional: true as const } : {}) });
    }
  }
  if (Array.isArray(s.links)) {
    s.links.forEach((l, i) => {
      const [name] = linkedServices([l]);
      if (name !== undefined) out.push({ name, at: ['links', i] });
    });
  }
  if (Array.isArray(s.volumes_from)) {
    s.volumes_from.forEach((v, i) => {
      const ref = typeof v === 'string' ? parseVolumesFrom(v) : undefined;
      if (ref !== undefined && typeof ref !== 'string' && ref.kind === 'service') out.push({ name: ref.name, at: ['volumes_from', i] });
    });
  }
  for (const key of ['network_mode', 'ipc', 'pid']) {
    const v = s[key];
    if (typeof v === 'string' && v.trim().startsWith('service:')) out.push({ name: v.trim().slice('service:'.length).trim(), at: [key] });
  }
  return out;
}

/** The names of dependencyRefs, each once. */
export function dependencies(service: unknown): string[] {
  return [...new Set(dependencyRefs(service).map((r) => r.name))];
}

/**
 * The services to start for `selected` (all when empty), with everything they depend on, dependencies
 * first. Ties keep the compose file's order, so the result is deterministic. Unknown names and cycles are
 * errors naming the services involved (located when `locate` can say where a key path is).
 */
export function startOrder(
  services: Readonly<Record<string, unknown>>,
  selected: readonly string[],
  locate?: (path: KeyPath) => SourceLocation | undefined,
  warn: (message: string) => void = () => {},
): string[] {
  const names = Object.keys(services);
  for (const s of selected) {
    if (!(s in services)) throw new CtnrError('SERVICE_NOT_FOUND', `no service "${s}" (services: ${names.join(', ') || 'none'})`);
  }
  const where = (path: KeyPath) => {
    const location = locate?.(path);
    return location ? { path, location } : { path };
  };
  const roots = selected.length > 0 ? selected : names;
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]) => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') {
      const cycle = [...chain.slice(chain.indexOf(name)), name];
      throw new CtnrError('SERVICE_INVALID', `dependency cycle: ${cycle.join(' → ')} (through depends_on, links, volumes_from or service: modes)`, where(['services', name]));
    }
    state.set(name, 'visiting');
    const refs = dependencyRefs(services[name]).filter((r) => {
      if (r.name in services || !r.optional) return true;
      warn(`${name} depends on "${r.name}", which is not a service of this file; it is not required (required: false), so ${name} starts without it`);
      return false;
    });
    for (const r of refs) {
      if (!(r.name in services)) {
        const what = r.at[0] === 'depends_on' ? 'depends on' : `${r.at[0]} names`;
        throw new CtnrError('SERVICE_INVALID', `${what} "${r.name}", which is not a service of this file`, where(['services', name, ...r.at]));
      }
    }
    // Dependencies in compose-file order, not in the order they were listed, for a stable result.
    const deps = new Set(refs.map((r) => r.name));
    for (const d of names.filter((n) => deps.has(n))) visit(d, [...chain, name]);
    state.set(name, 'done');
    out.push(name);
  };
  const rootSet = new Set(roots);
  for (const n of names.filter((x) => rootSet.has(x))) visit(n, []);
  return out;
}

/** What `ctnr up` waits for once a service started, before its dependents start (compose's depends_on conditions). */
export interface WaitFor {
  /** `service_healthy`: its healthcheck passes (the dependents that ask, for messages). */
  healthy: string[];
  /** `service_completed_successfully`: it exits with status 0. */
  completed: string[];
  /** Some dependent that waits for it healthy (completed) requires it: else a failure is only a note (`required: false`). */
  healthyRequired: boolean;
  completedRequired: boolean;
}

/**
 * For each service of `order` that a later one depends on with a condition other than `service_started`, what to
 * wait for (`dependsOn` gives a service's normalised `depends_on`). Both conditions on one service cannot hold (one
 * asks it to keep running, the other to end): an error naming both dependents.
 */
export function waitConditions(
  order: readonly string[],
  dependsOn: (service: string) => Readonly<Record<string, { condition: string; required?: boolean }>> | undefined,
  locate?: (path: KeyPath) => SourceLocation | undefined,
): Map<string, WaitFor> {
  const out = new Map<string, WaitFor>();
  for (const dependent of order) {
    for (const [dep, how] of Object.entries(dependsOn(dependent) ?? {})) {
      if (!order.includes(dep) || how.condition === 'service_started') continue;
      const w = out.get(dep) ?? { healthy: [], completed: [], healthyRequired: false, completedRequired: false };
      const required = how.required !== false;
      if (how.condition === 'service_healthy') {
        w.healthy.push(dependent);
        w.healthyRequired ||= required;
      } else {
        w.completed.push(dependent);
        w.completedRequired ||= required;
      }
      out.set(dep, w);
      if (w.healthy.length > 0 && w.completed.length > 0) {
        const path = ['services', dependent, 'depends_on', dep];
        const location = locate?.(path);
        throw new CtnrError(
          'SERVICE_INVALID',
          `${w.healthy[0]} waits for ${dep} to be healthy and ${w.completed[0]} for it to complete: it cannot both keep running and end`,
          location ? { path, location } : { path },
        );
      }
    }
  }
  return out;
}
