import { describe, expect, it } from 'vitest';
import { restartDelayMs, restartPolicyOf, restartsAgain } from '../../../src/runtime/restart.js';

describe('restart policies (docker compose semantics)', () => {
  it.each([
    { service: {}, policy: undefined },
    { service: { restart: 'no' }, policy: undefined },
    { service: { restart: 'always' }, policy: { mode: 'always', maxRetries: 0 } },
    { service: { restart: 'unless-stopped' }, policy: { mode: 'unless-stopped', maxRetries: 0 } },
    { service: { restart: 'on-failure' }, policy: { mode: 'on-failure', maxRetries: 0 } },
    { service: { restart: 'on-failure:3' }, policy: { mode: 'on-failure', maxRetries: 3 } },
    // deploy.restart_policy wins over restart:, as in docker compose
    { service: { restart: 'always', deploy: { restart_policy: { condition: 'none' } } }, policy: undefined },
    { service: { deploy: { restart_policy: {} } }, policy: { mode: 'always', maxRetries: 0 } },
    { service: { deploy: { restart_policy: { condition: 'any', max_attempts: 4 } } }, policy: { mode: 'always', maxRetries: 0 } },
    { service: { restart: 'no', deploy: { restart_policy: { condition: 'on-failure', max_attempts: 2 } } }, policy: { mode: 'on-failure', maxRetries: 2 } },
  ])('$service → $policy', ({ service, policy }) => {
    expect(restartPolicyOf(service)).toEqual({ policy });
  });

  it.each([
    { service: { restart: 'sometimes' }, path: ['restart'], problem: '"sometimes" is not a restart policy (no, always, unless-stopped or on-failure[:MAX])' },
    { service: { restart: 'on-failure:-1' }, path: ['restart'], problem: 'is not a restart policy' },
    { service: { restart: 'Always' }, path: ['restart'], problem: 'is not a restart policy' },
    { service: { deploy: { restart_policy: { condition: 'sometimes' } } }, path: ['deploy', 'restart_policy', 'condition'], problem: '"sometimes" is not a restart condition (none, on-failure or any)' },
    { service: { deploy: { restart_policy: { condition: 'on-failure', max_attempts: -2 } } }, path: ['deploy', 'restart_policy', 'max_attempts'], problem: '-2 is not a number of attempts' },
  ])('refused: $service', ({ service, path, problem }) => {
    const r = restartPolicyOf(service);
    expect(r).toMatchObject({ path });
    expect((r as { problem: string }).problem).toContain(problem);
  });

  it.each([
    { policy: { mode: 'always', maxRetries: 0 }, status: 0, restarts: 50, again: true },
    { policy: { mode: 'unless-stopped', maxRetries: 0 }, status: 137, restarts: 0, again: true },
    { policy: { mode: 'on-failure', maxRetries: 0 }, status: 0, restarts: 0, again: false },
    { policy: { mode: 'on-failure', maxRetries: 0 }, status: 1, restarts: 1000, again: true },
    { policy: { mode: 'on-failure', maxRetries: 2 }, status: 1, restarts: 1, again: true },
    { policy: { mode: 'on-failure', maxRetries: 2 }, status: 1, restarts: 2, again: false },
  ] as const)('$policy.mode (max $policy.maxRetries), status $status after $restarts restarts → again: $again', ({ policy, status, restarts, again }) => {
    expect(restartsAgain(policy, status, restarts)).toBe(again);
  });

  it('waits 100 ms, doubling to a minute, and 100 ms again after a run of 10 s', () => {
    const delays: number[] = [];
    let d = 0;
    for (let i = 0; i < 12; i++) delays.push((d = restartDelayMs(d, 50)));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    expect(restartDelayMs(60000, 10_000)).toBe(100);
    expect(restartDelayMs(800, 9_999)).toBe(1600);
  });
});
