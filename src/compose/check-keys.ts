import { CtnrError, didYouMean, renderPath } from '../engine/errors.js';
import type { Diagnostic } from '../engine/types.js';
import type { ComposeFile } from './compose-project.js';
import { keyPolicy, NESTED_POLICIES, SERVICE_KEYS, type KeyPolicy } from './keys.js';

/** NESTED_POLICIES with their key paths split once. */
let nested: Array<{ policy: KeyPolicy; segs: string[] }> | undefined;

/** The key policy of keys.ts: unknown keys and refused keys are errors; ignored keys are noted. */
export function checkServiceKeys(raw: Record<string, unknown>, base: Array<string | number>, origin: ComposeFile, allowUnsupported: boolean, diagnostics: Diagnostic[]): void {
  const ignored: string[] = [];
  for (const key of Object.keys(raw)) {
    if (key.startsWith('x-')) continue;
    const policy = keyPolicy(key);
    if (!policy) {
      const at = [...base, key];
      throw new CtnrError('SERVICE_INVALID', `unknown key "${key}"${didYouMean(key, SERVICE_KEYS)}`, { path: at, location: origin.positions.locate(at) });
    }
    if (policy.class === 'refused') refuse(key, policy.note, [...base, key], origin, allowUnsupported, diagnostics);
    if (policy.class === 'ignored') ignored.push(`${key} (${policy.note})`);
  }
  // Nested rows: `deploy.resources.reservations.devices` etc.
  nested ??= NESTED_POLICIES.map((policy) => ({ policy, segs: policy.key.split('.') }));
  for (const { policy, segs } of nested) {
    let v: unknown = raw;
    for (const s of segs) v = isPlainObject(v) ? v[s] : undefined;
    if (v === undefined || v === null) continue;
    const at = [...base, ...segs];
    if (policy.class === 'refused') refuse(policy.key, policy.note, at, origin, allowUnsupported, diagnostics);
    if (policy.class === 'ignored') ignored.push(`${policy.key} (${policy.note})`);
  }
  if (ignored.length > 0) {
    diagnostics.push({
      level: 'warning',
      code: 'KEY_IGNORED',
      message: `ignored: ${ignored.join('; ')}`,
      path: renderPath(base),
      location: origin.positions.locate(base),
    });
  }
}

function refuse(key: string, note: string, at: Array<string | number>, origin: ComposeFile, allow: boolean, diagnostics: Diagnostic[]): void {
  const message = `"${key}" is not supported by ctnr: ${note}`;
  if (!allow) {
    throw new CtnrError('KEY_UNSUPPORTED', `${message} (--allow-unsupported turns this into a warning)`, { path: at, location: origin.positions.locate(at) });
  }
  diagnostics.push({ level: 'warning', code: 'KEY_UNSUPPORTED', message: `${message}; left out`, path: renderPath(at), location: origin.positions.locate(at) });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
