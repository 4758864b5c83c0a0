import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { statusForSignal } from './exit-status.js';
import { restartDelayMs, restartsAgain } from './restart.js';
import { pidFileOf, readRecord, writeRecord, type ContainerRecord } from './state.js';

/**
 * The restart monitor: one process per container `ctnr up` started with a restart policy (what dockerd does for
 * docker, conmon for podman). It is the parent of `runtime run` (no --detach), so it learns the container's exit
 * status; it then starts the container again per the policy, after docker's back-off, with the same bundle (the
 * runtime's hooks set its network up again), and counts the restarts in the container's record.
 *
 * On the first start it tells `ctnr up` on fd 3 whether the container started (`started`: the runtime wrote its pid
 * file) or not (`failed`: the runtime ended before that; nothing is restarted then, as docker does not restart a
 * container that could not start). SIGTERM (`ctnr down`, src/runtime/run.ts stopContainer) stops it: it sends the
 * container its stop signal, SIGKILL after the grace period, starts nothing more and ends. It writes nothing but
 * the record, and the runtime's output goes to the container's log as a detached container's does.
 */

const POLL_MS = 20;

export async function superviseContainer(id: string, root: string, handshake: number | undefined): Promise<void> {
  const first = readRecord(id, root);
  if (!first?.restart || !first.log) {
    report(handshake, 'failed');
    return;
  }
  const policy = first.restart;
  let stopping = false;
  let child: ChildProcess | undefined;
  let wake: (() => void) | undefined;
  const onStop = () => {
    if (stopping) return;
    stopping = true;
    wake?.();
    if (child && child.exitCode === null && child.signalCode === null) stopRunning(id, root, first, () => child!.exitCode !== null || child!.signalCode !== null);
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', () => {});

  let delay = 0;
  let restarts = first.restarts ?? 0;
  for (let attempt = 0; ; attempt++) {
    const rec = readRecord(id, root);
    if (stopping || !rec) return;
    const pidFile = pidFileOf(id, root);
    rmSync(pidFile, { force: true });
    const log = openSync(rec.log!, 'a', 0o600);
    const began = Date.now();
    try {
      child = spawn(rec.runtime.path, ['--root', rec.root, 'run', '--pid-file', pidFile, '--bundle', rec.bundle, id], { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    const exit = new Promise<number>((resolve) => {
      child!.on('error', () => resolve(127));
      child!.on('exit', (code, signal) => resolve(code ?? statusForSignal(signal)));
    });
    if (attempt === 0) {
      const started = await Promise.race([exit.then(() => existsSync(pidFile)), waitForFile(pidFile, exit)]);
      report(handshake, started ? 'started' : 'failed');
      if (!started) return;
    }
    const status = await exit;
    child = undefined;
    const now = readRecord(id, root);
    if (stopping || !now) return;
    if (!restartsAgain(policy, status, restarts)) {
      writeRecord({ ...now, exitStatus: status }, root);
      return;
    }
    delay = restartDelayMs(delay, Date.now() - began);
    writeRecord({ ...now, exitStatus: status }, root);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
    if (stopping) return;
    // `runtime run` deletes what it ran; a runtime killed halfway leaves state that would refuse the same id.
    spawnSync(rec.runtime.path, ['--root', rec.root, 'delete', '--force', id], { stdio: 'ignore' });
    restarts++;
    const latest = readRecord(id, root);
    if (!latest) return;
    const running: ContainerRecord = { ...latest, restarts };
    delete running.exitStatus;
    writeRecord(running, root);
  }
}

/** Resolves true once `file` exists and is not empty, false when `ended` settles first. */
function waitForFile(file: string, ended: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    void ended.then(() => (done = true));
    const look = () => {
      if (done) return resolve(false);
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        /* not yet */
      }
      if (text.trim() !== '') return resolve(true);
      setTimeout(look, POLL_MS);
    };
    look();
  });
}

/**
 * Stop the running container as `ctnr down` would: its stop signal (the record's: `down -t` may have changed the
 * grace period in it), SIGKILL when the grace period ends; a signal the runtime refuses (the container is still
 * being created) is tried again until `ended()`.
 */
function stopRunning(id: string, root: string, fallback: ContainerRecord, ended: () => boolean): void {
  const rec = readRecord(id, root) ?? fallback;
  const kill = (signal: string) => {
    if (ended()) return;
    const r = spawnSync(rec.runtime.path, ['--root', rec.root, 'kill', id, signal], { stdio: 'ignore' });
    if (r.status !== 0) setTimeout(() => kill(signal), 100).unref();
  };
  kill(rec.stopSignal);
  setTimeout(() => kill('SIGKILL'), Math.max(0, Math.round(rec.stopGracePeriodNs / 1e6))).unref();
}

function report(fd: number | undefined, word: 'started' | 'failed'): void {
  if (fd === undefined) return;
  try {
    writeSync(fd, `${word}\n`);
    closeSync(fd);
  } catch {
    /* ctnr up is gone: nobody to tell */
  }
}
