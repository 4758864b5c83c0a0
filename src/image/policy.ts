import { CtnrError } from '../engine/errors.js';
import { parseDuration } from '../compose/units.js';

/**
 * Pull policies (compose-spec `pull_policy`, `--pull`): `always`, `missing` (the default; `if_not_present` is
 * its older name), `never`, and the age-based `daily`, `weekly`, `every_<duration>` (pull when the stored
 * copy is older). `build` means "build it", which ctnr does not do: it behaves as `missing`.
 */
export type PullPolicy =
  | { kind: 'always' }
  | { kind: 'missing' }
  | { kind: 'never' }
  | { kind: 'max-age'; ms: number; text: string };

const DAY = 24 * 3600 * 1000;

/** Parse a policy; `where` locates the error (`services.web.pull_policy` or `--pull`). */
export function parsePullPolicy(text: string, where: string): PullPolicy {
  const t = text.trim();
  switch (t) {
    case 'always':
      return { kind: 'always' };
    case 'missing':
    case 'if_not_present':
    case 'build':
      return { kind: 'missing' };
    case 'never':
      return { kind: 'never' };
    case 'daily':
      return { kind: 'max-age', ms: DAY, text: t };
    case 'weekly':
      return { kind: 'max-age', ms: 7 * DAY, text: t };
  }
  const every = /^every_(.+)$/.exec(t);
  if (every) {
    // compose-go also accepts days and weeks here (`every_2d`, `every_1w`), which Go durations lack.
    const dw = /^(\d+)([dw])$/.exec(every[1]!);
    let ms: number | undefined;
    if (dw) ms = Number(dw[1]) * (dw[2] === 'd' ? DAY : 7 * DAY);
    else {
      try {
        ms = parseDuration(every[1]!) / 1e6;
      } catch {
        ms = undefined;
      }
    }
    if (ms !== undefined && ms > 0) return { kind: 'max-age', ms, text: t };
  }
  throw new CtnrError('USAGE', `${where}: "${text}" is not a pull policy (always, missing, never, build, daily, weekly, every_<duration>)`, { path: where });
}

/** Whether a stored copy pulled at `pulledIso` must be pulled again under `policy` at time `now`. */
export function isStale(policy: PullPolicy, pulledIso: string | undefined, now: number): boolean {
  if (policy.kind === 'always') return true;
  if (policy.kind !== 'max-age') return false;
  const pulled = pulledIso ? Date.parse(pulledIso) : Number.NaN;
  return !Number.isFinite(pulled) || now - pulled >= policy.ms;
}
