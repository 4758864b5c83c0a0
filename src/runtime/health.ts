import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { HEALTHCHECK_ANNOTATION } from '../spec/annotations.js';
import { queryState, type ContainerRecord } from './state.js';

/**
 * A container's healthcheck as ctnr:healthcheck wrote it into the bundle (`io.ctnr.healthcheck`: the service's
 * over the image's, docker's defaults filled in; durations in ns), probed the way docker probes it, for `ctnr up`
 * to wait on a `depends_on` condition `service_healthy`.
 */
export interface BundleHealthcheck {
  /** `['CMD', prog, args…]` or `['CMD-SHELL', command]`. */
  test: string[];
  interval: number;
  timeout: number;
  start_period: number;
  start_interval: number;
  retries: number;
}

type Probed = Pick<ContainerRecord, 'id' | 'runtime' | 'root' | 'bundle' | 'service'>;

/** The healthcheck of a container's bundle, or undefined when it has none (none set, or disabled). */
export function bundleHealthcheck(bundle: string): BundleHealthcheck | undefined {
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
  const text = spec.annotations?.[HEALTHCHECK_ANNOTATION];
  return text === undefined ? undefined : (JSON.parse(text) as BundleHealthcheck);
}

export interface HealthWaitOptions {
  /**
   * The container was running before this wait (an earlier up): probe at once, since docker would have been
   * probing it all along; its start period is over.
   */
  running?: boolean;
  /** A line for the user while it waits (each probe that fails). */
  progress?: (line: string) => void;
  /** Give up at this time (ms, on the `now` clock), after one last probe there: an error saying how long it waited. */
  deadline?: number;
  /** Test clocks. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** setTimeout's longest delay (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Wait until the container is healthy, as docker decides it: a probe every `interval` (every `start_interval`
 * during `start_period`, whose failures do not count), the first one interval after the start; healthy at the
 * first probe that exits 0, unhealthy after `retries` failures in a row. A probe that outlives `timeout` fails.
 * Throws when it turns unhealthy, the container stops first (with the last probe's output), or the deadline passes.
 */
export async function waitHealthy(rec: Probed, hc: BundleHealthcheck, opts: HealthWaitOptions = {}): Promise<void> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const started = now();
  const inStartPeriod = () => !opts.running && now() - started < hc.start_period / 1e6;
  // The probe's process, made once for the whole wait: the bundle's config.json does not change under it.
  const proc = probeProcess(rec.bundle, hc);
  let failures = 0;
  let last = '';
  const timedOut = () =>
    new CtnrError('RUNTIME_FAILED', `${rec.id} was not healthy within the wait timeout (${Math.round((now() - started) / 100) / 10}s${last ? `; last probe: ${last}` : ''})`);
  for (let first = true; ; first = false) {
    let pause = first && opts.running ? 0 : (inStartPeriod() ? hc.start_interval : hc.interval) / 1e6;
    // The last probe falls on the deadline, not after it.
    if (opts.deadline !== undefined) pause = Math.min(pause, Math.max(0, opts.deadline - now()));
    await sleep(Math.min(pause, MAX_TIMER_MS));
    const state = queryState(rec);
    if (state === undefined || state.status === 'stopped') {
      throw new CtnrError('RUNTIME_FAILED', `${rec.id} stopped before its healthcheck passed`);
    }
    const counts = !inStartPeriod();
    const probe = await probeOnce(rec, hc, proc);
    if (probe.ok) return;
    last = probe.why;
    if (counts) {
      failures++;
      opts.progress?.(`healthcheck ${failures}/${hc.retries} failed: ${probe.why}`);
      if (failures >= hc.retries) {
        throw new CtnrError('RUNTIME_FAILED', `${rec.id} is unhealthy: its healthcheck failed ${failures} times in a row (last: ${probe.why})`);
      }
    }
    if (opts.deadline !== undefined && now() >= opts.deadline) throw timedOut();
  }
}

/** The probe's process: the container's own (user, environment, working directory, capabilities) running the test. */
function probeProcess(bundle: string, hc: BundleHealthcheck): Record<string, unknown> {
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { process: Record<string, unknown> };
  const [kind, ...rest] = hc.test;
  const args = kind === 'CMD-SHELL' ? ['/bin/sh', '-c', rest.join(' ')] : rest;
  return { ...spec.process, args, terminal: false };
}

/**
 * Run the test once with `runtime exec`; ok when it exits 0 within the timeout. A probe past its timeout is killed
 * by its pid (the runtime writes it): killing only the runtime's exec would leave it running in the container,
 * holding our pipes open.
 */
async function probeOnce(rec: Probed, hc: BundleHealthcheck, proc: Record<string, unknown>): Promise<{ ok: true } | { ok: false; why: string }> {
  // Beside the lifecycle hooks' process files, in the bundle's ctnr/ (which a bundle without them lacks).
  const dir = path.join(rec.bundle, 'ctnr');
  const file = path.join(dir, 'exec-healthcheck.json');
  const pidFile = path.join(dir, 'exec-healthcheck.pid');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  rmSync(pidFile, { force: true });
  writeFileSync(file, JSON.stringify(proc) + '\n', { mode: 0o600 });
  try {
    return await new Promise((resolve) => {
      const child = spawn(rec.runtime.path, ['--root', rec.root, 'exec', '--pid-file', pidFile, '--process', file, rec.id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const keep = (d: Buffer) => {
        out = (out + d.toString('utf8')).slice(-4096);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      let done = false;
      let grace: NodeJS.Timeout | undefined;
      const finish = (result: { ok: true } | { ok: false; why: string }) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(grace);
        // A probe that left a process behind holding our pipes (`sh -c 'x & exit 0'`) has still ended.
        child.stdout.destroy();
        child.stderr.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => {
        try {
          // Only a real process id: 0 or -1 would signal our own process group, or every process we may signal.
          const pid = Number(readFileSync(pidFile, 'utf8').trim());
          if (Number.isSafeInteger(pid) && pid > 1) process.kill(pid, 'SIGKILL');
        } catch {
          // not started yet, or already gone
        }
        child.kill('SIGKILL');
        finish({ ok: false, why: `did not finish within ${hc.timeout / 1e9}s` });
      }, Math.min(MAX_TIMER_MS, Math.max(1, hc.timeout / 1e6)));
      child.on('error', (err) => finish({ ok: false, why: `cannot run ${rec.runtime.path}: ${err.message}` }));
      const settle = (status: number | null, signal: NodeJS.Signals | null) => {
        const line = out.trim().split('\n').pop() ?? '';
        if (status === 0) finish({ ok: true });
        else finish({ ok: false, why: `${signal ? `killed by ${signal}` : `exit status ${status}`}${line ? `: ${line}` : ''}` });
      };
      // The status comes with 'exit'; its output is complete at 'close', which a leftover process may hold off.
      child.on('exit', (status, signal) => {
        grace = setTimeout(() => settle(status, signal), 200);
      });
      child.on('close', (status: number | null, signal: NodeJS.Signals | null) => settle(status, signal));
    });
  } finally {
    rmSync(file, { force: true });
    rmSync(pidFile, { force: true });
  }
}
