import type { ReadonlySpec } from '../spec/types.js';

/** How the spec (after ctnr:namespaces) places a namespace type: new, joined by path, or the host's (absent). */
export function namespaceState(spec: ReadonlySpec, type: string): 'new' | 'joined' | 'host' {
  const ns = spec.linux?.namespaces?.find((n) => n.type === type);
  if (!ns) return 'host';
  return ns.path ? 'joined' : 'new';
}
