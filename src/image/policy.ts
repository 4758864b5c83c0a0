import { CtnrError, renderPath } from '../engine/errors.js';
import { parseDuration } from '../compose/units.js';

/**
 * Pull policies (compose-spec `pull_policy`, `--pull`, the config's `pullPolicy`): `always`, `missing` (the
 * default; `if_not_present` is its older name), `never`, and the age-based `daily`, `weekly`, `every_<duration>`
 * and `refresh` with `pull_refresh_after: <duration>` (pull when the stored copy is older). `build` means "build
 * it", which ctnr does not do: it behaves as `missing`.
 */
export type PullPolicy =
  | { kind: 'always' }
  | { kind: 'missing' }
  | { kind: 'never' }
  | { kind: 'max-age'; ms: number; text: string };

const DAY = 24 * 3600 * 1000;

const POLICIES = 'always, missing, never, build, daily, weekly, every_<duration>, refresh';

/** A service's `pull_refresh_after`, with its key path for errors. */
export interface RefreshAfter {
  text: string;
  where: string;
}

/**
 * Parse a policy; `where` is its key path (`services.web.pull_policy`, `--pull`) and becomes the error's path.
 * `refresh` needs `refreshAfter` (a service's `pull_refresh_after`); the command line and the config have none.
 */
export function parsePullPolicy(text: string, where: string, refreshAfter?: RefreshAfter): PullPolicy {
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
    case 'refresh': {
      if (refreshAfter === undefined) {
        const message = where.endsWith('.pull_policy')
          ? '"refresh" needs pull_refresh_after beside it: how old the stored copy may get (e.g. 12h)'
          : '"refresh" goes with a service\'s pull_refresh_after; here, use every_<duration> (e.g. every_12h)';
        throw new CtnrError('USAGE', message, { path: where });
      }
      const ms = maxAge(refreshAfter.text);
      if (ms === undefined) throw new CtnrError('USAGE', `"${refreshAfter.text}" is not a duration (e.g. 30m, 12h, 2d, 1w)`, { path: refreshAfter.where });
      return { kind: 'max-age', ms, text: `refresh after ${refreshAfter.text.trim()}` };
    }
  }
  const every = /^every_(.+)$/.exec(t);
  const ms = every ? maxAge(every[1]!) : undefined;
  if (ms !== undefined) return { kind: 'max-age', ms, text: t };
  throw new CtnrError('USAGE', `"${text}" is not a pull policy (${POLICIES})`, { path: where });
}

/**
 * The pull policy a service's own keys ask for, undefined when it sets none. `pull_refresh_after` counts only
 * with `refresh`; selectService (src/compose/select.ts) has checked both keys, located, when it loaded the service.
 */
export function servicePullPolicy(service: string, keys: { pull_policy?: unknown; pull_refresh_after?: unknown }): PullPolicy | undefined {
  if (typeof keys.pull_policy !== 'string') return undefined;
  const where = (key: string) => renderPath(['services', service, key]);
  const after = typeof keys.pull_refresh_after === 'string' ? { text: keys.pull_refresh_after, where: where('pull_refresh_after') } : undefined;
  return parsePullPolicy(keys.pull_policy, where('pull_policy'), after);
}

/** A positive age: a Go duration, or days and weeks as compose-go also accepts (`2d`, `1w`); else undefined. */
function maxAge(text: string): number | undefined {
  const dw = /^(\d+)([dw])$/.exec(text.trim());
  if (dw) return Number(dw[1]) * (dw[2] === 'd' ? DAY : 7 * DAY) || undefined;
  try {
    const ms = parseDuration(text) / 1e6;
    return ms > 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a stored copy pulled at `pulledIso` must be pulled again under `policy` at time `now`. */
export function isStale(policy: PullPolicy, pulledIso: string | undefined, now: number): boolean {
  if (policy.kind === 'always') return true;
  if (policy.kind !== 'max-age') return false;
  const pulled = pulledIso ? Date.parse(pulledIso) : Number.NaN;
  return !Number.isFinite(pulled) || now - pulled >= policy.ms;
}
