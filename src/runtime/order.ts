import { CtnrError } from '../engine/errors.js';

/** `depends_on` of a raw or normalised service: list form (`[db]`) or map form (`{db: {condition: …}}`). */
export function dependencies(service: unknown): string[] {
  const deps = (service as { depends_on?: unknown } | null | undefined)?.depends_on;
  if (Array.isArray(deps)) return deps.filter((d): d is string => typeof d === 'string');
  if (deps && typeof deps === 'object') return Object.keys(deps);
  return [];
}

/**
 * The services to start for `selected` (all when empty), with everything they depend on, dependencies
 * first. Ties keep the compose file's order, so the result is deterministic. Unknown names and cycles are
 * errors naming the services involved.
 */
export function startOrder(services: Readonly<Record<string, unknown>>, selected: readonly string[]): string[] {
  const names = Object.keys(services);
  for (const s of selected) {
    if (!(s in services)) throw new CtnrError('SERVICE_NOT_FOUND', `no service "${s}" (services: ${names.join(', ') || 'none'})`);
  }
  const roots = selected.length > 0 ? selected : names;
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]) => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') {
      const cycle = [...chain.slice(chain.indexOf(name)), name];
      throw new CtnrError('SERVICE_INVALID', `depends_on cycle: ${cycle.join(' → ')}`, { path: ['services', name, 'depends_on'] });
    }
    state.set(name, 'visiting');
    // Dependencies in compose-file order, not in the order they were listed, for a stable result.
    const deps = dependencies(services[name]);
    for (const d of deps) {
      if (!(d in services)) {
        throw new CtnrError('SERVICE_INVALID', `depends on "${d}", which is not a service of this file`, { path: ['services', name, 'depends_on'] });
      }
    }
    for (const d of names.filter((n) => deps.includes(n))) visit(d, [...chain, name]);
    state.set(name, 'done');
    out.push(name);
  };
  const rootSet = new Set(roots);
  for (const n of names.filter((x) => rootSet.has(x))) visit(n, []);
  return out;
}
