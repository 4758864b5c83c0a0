import type { z } from 'zod';
import { CtnrError, renderPath } from '../engine/errors.js';
import type { Positions } from './positions.js';

/**
 * zod's issues for a value checked against a compose schema, as one located SERVICE_INVALID: the first issue is
 * the message (with its key path under `base` and its file:line:col), the others become details.
 */
export function zodToError(error: z.ZodError, base: ReadonlyArray<string | number>, positions: Positions, raw?: unknown): CtnrError {
  const valueAt = (segs: ReadonlyArray<string | number>): unknown => {
    let v = raw;
    for (const s of segs) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[s] : undefined;
    return v;
  };
  const issues = error.issues.flatMap((i) => flattenIssue(i, [], valueAt));
  const rendered = issues.map(({ segs: rel, message }) => {
    const segs = [...base, ...rel];
    return { segs, path: renderPath(segs), message };
  });
  const [first, ...rest] = rendered;
  return new CtnrError('SERVICE_INVALID', first!.message, {
    path: first!.path,
    location: positions.locate(first!.segs),
    details: rest.map((r) => {
      const loc = positions.locate(r.segs);
      return `${loc.file}:${loc.line ?? '?'}:${loc.col ?? '?'} ${r.path}: ${r.message}`;
    }),
  });
}

type Flat = { segs: Array<string | number>; message: string };

/**
 * A union (short string | long mapping) that failed: when the value had the right type for one branch, that
 * branch's own issues are the useful ones (`ports[0].protocol: …`); otherwise say which types fit.
 */
function flattenIssue(issue: z.core.$ZodIssue, prefix: Array<string | number>, valueAt: (segs: ReadonlyArray<string | number>) => unknown): Flat[] {
  const segs = [...prefix, ...(issue.path as Array<string | number>)];
  const input = valueAt(segs);
  if (issue.code === 'invalid_union') {
    const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
    const matching = branches.filter((b) => b.length > 0 && !b.every(isTypeMismatch));
    if (matching.length > 0) return matching[0]!.flatMap((i) => flattenIssue(i, segs, valueAt));
    if (input === undefined) return [{ segs, message: 'is required' }];
    return [{ segs, message: `${show(input)} is not valid here (expected ${[...expectedTypes(branches.flat())].join(' or ')})` }];
  }
  if (issue.code === 'invalid_type' && input === undefined) return [{ segs, message: 'is required' }];
  if (issue.code === 'invalid_type') return [{ segs, message: `${show(input)} is not valid here (expected ${TYPE_NAMES[String(issue.expected)] ?? issue.expected})` }];
  return [{ segs, message: issue.message }];
}

/** The value has the wrong type for this branch at all (as opposed to the right type with a bad part). */
function isTypeMismatch(i: z.core.$ZodIssue): boolean {
  if (i.path.length > 0) return false;
  if (i.code === 'invalid_type') return true;
  if (i.code === 'invalid_union') return ((i as { errors?: z.core.$ZodIssue[][] }).errors ?? []).every((b) => b.every(isTypeMismatch));
  return false;
}

function expectedTypes(issues: z.core.$ZodIssue[]): Set<string> {
  const out = new Set<string>();
  for (const i of issues) {
    if (i.code === 'invalid_type' && i.path.length === 0) out.add(TYPE_NAMES[String(i.expected)] ?? String(i.expected));
    if (i.code === 'invalid_union' && i.path.length === 0) for (const t of expectedTypes(((i as { errors?: z.core.$ZodIssue[][] }).errors ?? []).flat())) out.add(t);
  }
  return out;
}

/** Compose words for zod's type names. */
const TYPE_NAMES: Record<string, string> = { object: 'a mapping', record: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'a boolean', null: 'null' };

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}
