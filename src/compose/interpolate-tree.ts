import { CtnrError } from '../engine/errors.js';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';
import type { Positions } from './positions.js';
import { RESET } from './yaml.js';

/**
 * Interpolate every string value (not keys) of the parsed document. Builds new objects: aliases share
 * objects in the parsed tree, and interpolating one in place twice would undo `$$`. `x-*` subtrees are
 * templates for anchors; they are not interpolated (their merged copies are). `at` is where `value` sits in
 * the document; an error names the path below it and its line (the path is kept on one stack, not copied per
 * node, and only an error locates it).
 */
export function interpolateTree(value: unknown, lookup: Lookup, at: ReadonlyArray<string | number>, positions: Positions): unknown {
  const path: Array<string | number> = [...at];
  const copy = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('$')) return v;
      try {
        return interpolate(v, lookup);
      } catch (e) {
        if (!(e instanceof InterpolationError)) throw e;
        throw new CtnrError('COMPOSE_INVALID', e.message, { path: [...path], location: positions.locate(path) });
      }
    }
    // `!reset` entries disappear here (collectMergeTags remembered the service-level ones).
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const item of v) {
        if (item === RESET) continue;
        path.push(out.length);
        out.push(copy(item));
        path.pop();
      }
      return out;
    }
    if (v !== null && typeof v === 'object') {
      // No prototype: a `__proto__` key (yaml keeps it as an own property) stays a key instead of being lost.
      const out: Record<string, unknown> = Object.create(null);
      const obj = v as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        const item = obj[k];
        if (item === RESET) continue;
        if (k.startsWith('x-')) out[k] = item;
        else {
          path.push(k);
          out[k] = copy(item);
          path.pop();
        }
      }
      return out;
    }
    return v;
  };
  return copy(value);
}
