/**
 * Compose restart policies as docker applies them to a container `ctnr up` started: `restart:` (`no`, `always`,
 * `unless-stopped`, `on-failure[:MAX]`), or `deploy.restart_policy` (`condition: none | on-failure | any`,
 * `max_attempts`), which wins when both are given, as in docker compose. `always` and `unless-stopped` differ only
 * when docker's daemon restarts; ctnr has none, so they act alike. The wait between restarts is docker's: 100 ms,
 * doubled after every restart up to a minute, and back to 100 ms once a run lasted 10 s.
 */

export interface RestartPolicy {
  mode: 'always' | 'unless-stopped' | 'on-failure';
  /** on-failure: restarts allowed before giving up; 0 = no limit. */
  maxRetries: number;
}

/** A policy, none (`no`), or why the service's value is not one (with the key it is at). */
export type PolicyResult = { policy: RestartPolicy | undefined } | { problem: string; path: Array<string | number> };

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A run this long resets the delay (docker's restartmanager). */
const STEADY_MS = 10_000;

export function restartPolicyOf(service: { restart?: unknown; deploy?: { restart_policy?: { condition?: unknown; max_attempts?: unknown } } }): PolicyResult {
  const deploy = service.deploy?.restart_policy;
  if (deploy !== undefined) {
    const condition = deploy.condition ?? 'any';
    const max = deploy.max_attempts ?? 0;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 0) {
      return { problem: `${JSON.stringify(max)} is not a number of attempts`, path: ['deploy', 'restart_policy', 'max_attempts'] };
    }
    if (condition === 'none') return { policy: undefined };
    if (condition === 'any') return { policy: { mode: 'always', maxRetries: 0 } };
    if (condition === 'on-failure') return { policy: { mode: 'on-failure', maxRetries: max } };
    return { problem: `${JSON.stringify(condition)} is not a restart condition (none, on-failure or any)`, path: ['deploy', 'restart_policy', 'condition'] };
  }
  const value = service.restart;
  if (value === undefined || value === 'no' || value === '') return { policy: undefined };
  if (value === 'always' || value === 'unless-stopped') return { policy: { mode: value, maxRetries: 0 } };
  const m = typeof value === 'string' ? /^on-failure(?::(\d{1,9}))?$/.exec(value) : null;
  if (m) return { policy: { mode: 'on-failure', maxRetries: m[1] === undefined ? 0 : Number(m[1]) } };
  return { problem: `${JSON.stringify(value)} is not a restart policy (no, always, unless-stopped or on-failure[:MAX])`, path: ['restart'] };
}

/** Whether a container that ended with `status`, restarted `restarts` times so far, starts again. */
export function restartsAgain(policy: RestartPolicy, status: number, restarts: number): boolean {
  if (policy.mode !== 'on-failure') return true;
  return status !== 0 && (policy.maxRetries === 0 || restarts < policy.maxRetries);
}

/** The wait before the next start, after a run of `ranMs` that followed a wait of `previousMs` (0: none yet). */
export function restartDelayMs(previousMs: number, ranMs: number): number {
  if (previousMs === 0 || ranMs >= STEADY_MS) return FIRST_DELAY_MS;
  return Math.min(previousMs * 2, MAX_DELAY_MS);
}
