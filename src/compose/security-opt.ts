import type { SecurityOpt } from '../engine/service-types.js';

/**
 * `security_opt` entries as docker reads them: `key=value` or the legacy `key:value`, and bare
 * `no-new-privileges`. The loader parses them once, into the `SecurityOpt` entries of the `Service` contract;
 * each stage's plugin picks its own keys and `ctnr:security-opt` rejects unknown ones (SECURITY_OPT_KEYS).
 */
export function parseSecurityOpt(raw: string, index: number): SecurityOpt {
  const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(raw.trim());
  if (!m) return { key: raw, value: '', index };
  return { key: m[1]!, value: m[2] ?? '', index };
}

/**
 * `extends`: the parent's entries then the child's, an entry equal to an earlier one (same key and value)
 * dropped, as compose merges plain sequences; indices are positions in the merged list.
 */
export function mergeSecurityOpts(parent: readonly SecurityOpt[], child: readonly SecurityOpt[]): SecurityOpt[] {
  const seen = new Set<string>();
  const out: SecurityOpt[] = [];
  for (const o of [...parent, ...child]) {
    const id = `${o.key}\0${o.value}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ key: o.key, value: o.value, index: out.length });
  }
  return out;
}
