import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { statusForSignal } from './exit-status.js';
import { OUTPUT_FIFO, OutputPump } from './output-pump.js';
import { restartDelayMs, restartsAgain } from './restart.js';
import { pidFileOf, readRecord, writeRecord, type ContainerRecord } from './state.js';

/**
 * The container monitor: one process per detached container with a restart policy or a rotated log (what dockerd
 * does for docker, conmon for podman). It is the parent of `runtime run` (no --detach), so it learns the container's
 * exit status; with a policy it then starts the container again, after docker's back-off, with the same bundle (the
 * runtime's hooks set its network up again), and counts the restarts in the container's record. With `logRotation`
 * the container's output comes to it through a pipe, and it writes the log, rotating it (src/runtime/output-pump.ts).
 *
 * On the first start it tells `ctnr up` on fd 3 whether the container started (`started`: the runtime wrote its pid
 * file) or not (`failed`: the runtime ended before that; nothing is restarted then, as docker does not restart a
 * container that could not start). SIGTERM (`ctnr down`, src/runtime/run.ts stopContainer) stops it: it sends the
 * container its stop signal, SIGKILL after the grace period, starts nothing more and ends. It writes nothing but
 * the record, and the runtime's output goes to the container's log as a detached container's does (through the
 * pump when the log rotates; the first start's failure is reported once its output is in the log).
 */

const POLL_MS = 20;

export async function superviseContainer(id: string, root: string, handshake: number | undefined): Promise<void> {
  const found = readRecord(id, root);
  if (!found?.log || (!found.restart && !found.logRotation)) {
    report(handshake, 'failed');
    return;
  }
  const first = { ...found, log: found.log };
  const rotation = first.logRotation;
  let pump: OutputPump | undefined;
  try {
    pump = rotation ? OutputPump.open(path.join(first.bundle, OUTPUT_FIFO), first.log, rotation.maxBytes, rotation.maxFiles) : undefined;
  } catch (err) {
    // The monitor's stderr is the log: ctnr up reports it as the reason the container did not start.
    process.stderr.write(`ctnr: ${(err as Error).message}\n`);
    report(handshake, 'failed');
    return;
  }
  try {
    await supervise(id, root, first, handshake, pump);
  } finally {
    await pump?.finish();
  }
}

async function supervise(id: string, root: string, first: ContainerRecord & { log: string }, handshake: number | undefined, pump: OutputPump | undefined): Promise<void> {
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
    const out = pump?.writeFd ?? openSync(rec.log!, 'a', 0o600);
    const began = Date.now();
    try {
      child = spawn(rec.runtime.path, ['--root', rec.root, 'run', '--pid-file', pidFile, '--bundle', rec.bundle, id], { stdio: ['ignore', out, out] });
    } finally {
      if (!pump) closeSync(out);
    }
    const exit = new Promise<number>((resolve) => {
      child!.on('error', () => resolve(127));
      child!.on('exit', (code, signal) => resolve(code ?? statusForSignal(signal)));
    });
    if (attempt === 0) {
      const started = await Promise.race([exit.then(() => existsSync(pidFile)), waitForFile(pidFile, exit)]);
      if (!started) {
        // What the runtime said is in the log before ctnr up reads it.
        await pump?.finish();
        report(handshake, 'failed');
        return;
      }
      report(handshake, 'started');
    }
    const status = await exit;
    child = undefined;
    const now = readRecord(id, root);
    if (stopping || !now) return;
    if (!policy || !restartsAgain(policy, status, restarts)) {
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
