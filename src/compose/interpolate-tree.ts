import { CtnrError } from '../engine/errors.js';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';
import type { PositionIndex } from './positions.js';
import { RESET } from './yaml.js';

/**
 * Interpolate every string value (not keys) of the parsed document. Builds new objects: aliases share
 * objects in the parsed tree, and interpolating one in place twice would undo `$$`. `x-*` subtrees are
 * templates for anchors; they are not interpolated (their merged copies are).
 */
export function interpolateTree(value: unknown, lookup: Lookup, at: Array<string | number>, positions: PositionIndex): unknown {
  if (typeof value === 'string') {
    try {
      return interpolate(value, lookup);
    } catch (e) {
      if (!(e instanceof InterpolationError)) throw e;
      throw new CtnrError('COMPOSE_INVALID', e.message, { path: at, location: positions.locate(at) });
    }
  }
  // `!reset` entries disappear here (collectMergeTags remembered the service-level ones).
  if (Array.isArray(value)) return value.filter((v) => v !== RESET).map((v, i) => interpolateTree(v, lookup, [...at, i], positions));
  if (value && typeof value === 'object') {
    // No prototype: a `__proto__` key (yaml keeps it as an own property) stays a key instead of being lost.
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(value)) {
      if (v === RESET) continue;
      out[k] = k.startsWith('x-') ? v : interpolateTree(v, lookup, [...at, k], positions);
    }
    return out;
  }
  return value;
}
