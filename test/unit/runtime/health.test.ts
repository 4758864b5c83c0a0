import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleHealthcheck, waitHealthy, type BundleHealthcheck } from '../../../src/runtime/health.js';

/**
 * waitHealthy's rules (docker's) against a stand-in runtime: a script that answers `state` with the status in a
 * file and `exec` with the next exit status of a list, recording the process it was given. Clocks are fake: each
 * sleep moves time on, so start periods and intervals are exact.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeContainer(statuses: number[], state = 'running', probe = '') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-health-'));
  dirs.push(dir);
  const bundle = path.join(dir, 'bundle');
  mkdirSync(bundle);
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ process: { args: ['app'], env: ['A=1'], cwd: '/srv', user: { uid: 7, gid: 7 }, terminal: true } }));
  writeFileSync(path.join(dir, 'statuses'), statuses.join('\n') + '\n');
  writeFileSync(path.join(dir, 'state'), state);
  const runtime = path.join(dir, 'runtime');
  writeFileSync(
    runtime,
    [
      '#!/bin/sh',
      `d=${dir}`,
      'case "$3" in',
      '  state) printf \'{"status":"%s"}\' "$(cat $d/state)";;',
      // --root R exec --pid-file PID --process FILE ID
      `  exec) echo $$ > "$5"; ${probe} n=$(($(cat $d/count 2>/dev/null || echo 0) + 1)); echo $n > $d/count; cp "$7" $d/process.json; echo "probe $n"; exit $(sed -n "\${n}p" $d/statuses);;`,
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(runtime, 0o755);
  const rec = { id: 'c1', service: 'db', root: path.join(dir, 'root'), bundle, runtime: { name: 'fake', path: runtime } as never };
  const probes = () => Number(readFileSync(path.join(dir, 'count'), 'utf8'));
  return { rec, probes, process: () => JSON.parse(readFileSync(path.join(dir, 'process.json'), 'utf8')) };
}

function clock() {
  let t = 0;
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)), slept };
}

const S = 1e9;
const hc = (o: Partial<BundleHealthcheck>): BundleHealthcheck => ({ test: ['CMD-SHELL', 'test -f /ready'], interval: S, timeout: 30 * S, start_period: 0, start_interval: 5 * S, retries: 3, ...o });

describe('waitHealthy', () => {
  it.each([
    ['healthy at the first success, failures before it fewer than retries', [1, 1, 0], hc({}), 3, [1000, 1000, 1000]],
    ['failures inside the start period do not count; probes there every start_interval', [1, 1, 1, 0], hc({ start_period: 10 * S, start_interval: S, interval: 5 * S, retries: 1 }), 4, [1000, 1000, 1000, 1000]],
  ])('%s', async (_, statuses, check, probes, slept) => {
    const c = fakeContainer(statuses);
    const t = clock();
    await waitHealthy(c.rec, check, t);
    expect(c.probes()).toBe(probes);
    expect(t.slept).toEqual(slept);
  });

  it.each([
    ['retries failures in a row', [1, 1, 1], hc({}), 3, /c1 is unhealthy: its healthcheck failed 3 times in a row \(last: exit status 1: probe 3\)/],
    ['the first failure after the start period counts', [1, 1, 1], hc({ start_period: 2 * S, start_interval: S, retries: 1 }), 2, /failed 1 times in a row \(last: exit status 1: probe 2\)/],
  ])('unhealthy: %s', async (_, statuses, check, probes, message) => {
    const c = fakeContainer(statuses);
    await expect(waitHealthy(c.rec, check, clock())).rejects.toThrow(message);
    expect(c.probes()).toBe(probes);
  });

  it('gives up at the deadline (up --wait-timeout), after a last probe there rather than sleeping past it', async () => {
    const c = fakeContainer(Array(20).fill(1));
    const t = clock();
    await expect(waitHealthy(c.rec, hc({ retries: 100 }), { ...t, deadline: 3500 })).rejects.toThrow('c1 was not healthy within the wait timeout (3.5s; last probe: exit status 1: probe 4)');
    expect(t.slept).toEqual([1000, 1000, 1000, 500]);
    // healthy at that last probe: no error
    const d = fakeContainer([1, 1, 1, 0]);
    await waitHealthy(d.rec, hc({ retries: 100 }), { ...clock(), deadline: 3500 });
    expect(d.probes()).toBe(4);
  });

  it('a container that was already running is probed at once (docker has been probing it); its start period is over', async () => {
    const c = fakeContainer([0]);
    const t = clock();
    await waitHealthy(c.rec, hc({ start_period: 60 * S }), { ...t, running: true });
    expect(t.slept).toEqual([0]);
    const d = fakeContainer([1, 0]);
    await expect(waitHealthy(d.rec, hc({ start_period: 60 * S, retries: 1 }), { ...clock(), running: true })).rejects.toThrow('failed 1 times in a row');
  });

  it('a probe that exits 0 but leaves a process holding its output is healthy, without waiting for that process', async () => {
    const c = fakeContainer([0], 'running', '(sleep 5 &);');
    const t0 = Date.now();
    await waitHealthy(c.rec, hc({}), clock());
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a container that stopped is an error, not a wait', async () => {
    const c = fakeContainer([0], 'stopped');
    await expect(waitHealthy(c.rec, hc({}), clock())).rejects.toThrow('c1 stopped before its healthcheck passed');
  });

  it('probes run as the container\'s process (user, env, cwd) with the test as args and no terminal', async () => {
    const c = fakeContainer([0]);
    await waitHealthy(c.rec, hc({}), clock());
    expect(c.process()).toEqual({ args: ['/bin/sh', '-c', 'test -f /ready'], env: ['A=1'], cwd: '/srv', user: { uid: 7, gid: 7 }, terminal: false });
    const d = fakeContainer([0]);
    await waitHealthy(d.rec, hc({ test: ['CMD', 'pg_isready', '-q'] }), clock());
    expect(d.process().args).toEqual(['pg_isready', '-q']);
  });

  it('a probe that outlives its timeout fails', async () => {
    // The probe's own process sleeps on (its child holds the output pipes): the wait must not.
    const c = fakeContainer([0], 'running', 'sleep 5;');
    const t0 = Date.now();
    await expect(waitHealthy(c.rec, hc({ timeout: 0.2 * S, retries: 1 }), clock())).rejects.toThrow('(last: did not finish within 0.2s)');
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('bundleHealthcheck', () => {
  it('reads the io.ctnr.healthcheck annotation; none without it', () => {
    const c = fakeContainer([]);
    expect(bundleHealthcheck(c.rec.bundle)).toBeUndefined();
    const value = hc({ retries: 4 });
    writeFileSync(path.join(c.rec.bundle, 'config.json'), JSON.stringify({ process: {}, annotations: { 'io.ctnr.healthcheck': JSON.stringify(value) } }));
    expect(bundleHealthcheck(c.rec.bundle)).toEqual(value);
  });
});
