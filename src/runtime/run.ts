import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeBundleTree } from '../bundle/rootfs-mount.js';
import { CtnrError } from '../engine/errors.js';
import { releaseNetwork, removeEmptyCgroups } from './leftovers.js';
import { unmountShm } from './shm.js';
import { monitorAlive, removeRecord, queryState, writeRecord, type ContainerRecord } from './state.js';
import { statusForSignal } from './exit-status.js';
import { OUTPUT_FIFO, OutputPump } from './output-pump.js';
import { helperEntry } from '../helper-entry.js';
import { processId, sameProcessAlive } from '../linux/pid.js';

export const STOP_SIGNAL_ANNOTATION = 'org.opencontainers.image.stopSignal';
/** docker's default stop timeout. */
export const DEFAULT_STOP_GRACE_NS = 10_000_000_000;

/** `SIGTERM` | `TERM` | `15` | `sigusr1` → a name (or number) both runc and crun accept; undefined if invalid. */
export function normaliseSignal(sig: string | undefined): string | undefined {
  if (sig === undefined) return undefined;
  const s = sig.trim().toUpperCase();
  if (/^\d+$/.test(s)) return Number(s) >= 1 && Number(s) <= 64 ? String(Number(s)) : undefined;
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  if (/^SIGRTM(IN|AX)([+-]\d+)?$/.test(name)) return name;
  return name in os.constants.signals ? name : undefined;
}

/** The stop signal of a bundle's spec (annotation written by the annotations stage), default SIGTERM. */
export function stopSignalOf(spec: { annotations?: Record<string, string> }, warn: (m: string) => void = () => {}): string {
  const raw = spec.annotations?.[STOP_SIGNAL_ANNOTATION];
  if (raw === undefined || raw === '') return 'SIGTERM';
  const sig = normaliseSignal(raw);
  if (sig === undefined) {
    warn(`annotation ${STOP_SIGNAL_ANNOTATION}="${raw}" is not a signal; stopping with SIGTERM`);
    return 'SIGTERM';
  }
  return sig;
}


function runtimeCmd(rec: Pick<ContainerRecord, 'runtime' | 'root'>, args: string[]) {
  return spawnSync(rec.runtime.path, ['--root', rec.root, ...args], { encoding: 'utf8' });
}

/** `runtime kill ID SIG`; false when the runtime has no running container to signal (yet or any more). */
export function killContainer(rec: Pick<ContainerRecord, 'id' | 'runtime' | 'root'>, signal: string): boolean {
  return runtimeCmd(rec, ['kill', rec.id, signal]).status === 0;
}

/**
 * Delete the runtime state; release what the poststop hook releases (the network) and the empty cgroups named
 * for the container — a runtime killed while starting it never ran the hook nor removed them, and it has no
 * state for `delete` to act on (runc's `delete --force` then succeeds doing nothing) —; then ctnr's record, and
 * the bundle when it was created for this run only.
 */
export async function cleanupContainer(rec: ContainerRecord, warn: (m: string) => void = () => {}): Promise<void> {
  // A monitor without a restart policy only writes the log of a container that ended, and ends once its output is
  // in: not before, or a new bundle could be made where it still writes.
  if (rec.monitor && !rec.restart) await waitUntil(() => !sameProcessAlive(rec.monitor!), 5000);
  runtimeCmd(rec, ['delete', '--force', rec.id]);
  await releaseNetwork(rec, warn);
  removeEmptyCgroups(rec.id, rec.bundle);
  unmountShm(rec.bundle, warn);
  removeRecord(rec.id, path.dirname(rec.root));
  if (rec.removeBundle) removeBundleTree(rec.bundle);
}

/** The last lines of a runtime's output, as detail lines of an error. */
function lastLines(out: string, n = 5): string[] {
  return out ? out.split('\n').slice(-n) : [];
}

export interface ForegroundOptions {
  /** Attach stdin (compose `stdin_open`, `ctnr run -i`). */
  interactive?: boolean;
  /** process.terminal of the spec: the runtime needs our terminal and our process group. */
  terminal?: boolean;
  /** Called once the container runs (the runtime says so), beside it; awaited before cleanup. */
  afterStart?: () => Promise<void>;
  /** Notes for the user (stop signal fallback, escalation to SIGKILL). */
  note?: (message: string) => void;
}

/**
 * `runtime run` in the foreground: stdio is forwarded, the container's exit status becomes ours, and
 * SIGINT/SIGTERM sent to ctnr become the spec's stop signal for the container (a second signal, or the grace
 * period running out, sends SIGKILL). Afterwards the runtime state is deleted.
 */
export async function runForeground(rec: ContainerRecord, opts: ForegroundOptions = {}): Promise<number> {
  writeRecord(rec, path.dirname(rec.root));
  // Without a terminal, the runtime gets its own process group: a Ctrl-C on our terminal reaches only ctnr,
  // which turns it into the stop signal (runc would forward the SIGINT itself otherwise). With a terminal or
  // an attached terminal stdin it has to stay in the foreground group to read from it.
  const stdinIsTty = Boolean(process.stdin.isTTY);
  const ownGroup = !opts.terminal && !(opts.interactive && stdinIsTty);
  const child = spawn(rec.runtime.path, ['--root', rec.root, 'run', '--bundle', rec.bundle, rec.id], {
    stdio: [opts.interactive || opts.terminal ? 'inherit' : 'ignore', 'inherit', 'inherit'],
    detached: ownGroup,
  });

  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let exited = false;
  // The container may not exist yet when the signal arrives (runtime still creating it): retry until the
  // runtime accepts the signal or exits.
  const deliver = (signal: string) => {
    if (exited) return;
    if (!killContainer(rec, signal)) retry = setTimeout(() => deliver(signal), 100);
  };
  const onSignal = (received: NodeJS.Signals) => {
    if (stopping) {
      opts.note?.(`${received} again: killing ${rec.id}`);
      clearTimeout(retry);
      deliver('SIGKILL');
      return;
    }
    stopping = true;
    deliver(rec.stopSignal);
    const graceMs = Math.max(0, Math.round(rec.stopGracePeriodNs / 1e6));
    killTimer = setTimeout(() => {
      opts.note?.(`${rec.id} did not stop within ${graceMs / 1000}s of ${rec.stopSignal}: sending SIGKILL`);
      clearTimeout(retry);
      deliver('SIGKILL');
    }, graceMs);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Wait for the runtime to report the container running (not before: `runtime exec` needs it), then hand over.
  let watcher: NodeJS.Timeout | undefined;
  let after: Promise<void> | undefined;
  if (opts.afterStart) {
    const watch = () => {
      if (exited) return;
      const st = queryState(rec);
      if (st?.status === 'running') after = opts.afterStart!();
      else watcher = setTimeout(watch, 50);
    };
    watcher = setTimeout(watch, 50);
  }
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new CtnrError('RUNTIME_FAILED', `cannot start ${rec.runtime.path}: ${err.message}`)));
      child.on('exit', (code, signal) => {
        exited = true;
        // The runtime itself was killed (its container's own exit status comes as a code).
        if (signal) opts.note?.(`${rec.runtime.name} was killed by ${signal} while running ${rec.id}`);
        resolve(code ?? statusForSignal(signal));
      });
    });
  } finally {
    clearTimeout(killTimer);
    clearTimeout(retry);
    clearTimeout(watcher);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await after;
    await cleanupContainer(rec, opts.note);
  }
}

/**
 * `runtime run -d`: the container's stdout and stderr go to `rec.log` (appended; nowhere with `logDriver: none`),
 * stdin is /dev/null. A restart policy or a rotated log makes it a monitored start (startSupervised).
 * Returns once the runtime has started it; a failure releases what the start set up (see cleanupContainer) and
 * reports the runtime's output, or the signal that killed the runtime.
 */
export async function startDetached(rec: ContainerRecord & { log: string }, warn: (m: string) => void = () => {}): Promise<void> {
  if (rec.restart || rec.logRotation) return startSupervised(rec, warn);
  const dropped = rec.logDriver === 'none';
  const fd = openSync(dropped ? '/dev/null' : rec.log, 'a', 0o600);
  let r;
  let start = 0;
  try {
    start = dropped ? 0 : statSync(rec.log).size;
    writeRecord(rec, path.dirname(rec.root));
    r = spawnSync(rec.runtime.path, ['--root', rec.root, 'run', '--detach', '--bundle', rec.bundle, rec.id], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (!r.error && r.status === 0) return;
  const out = dropped ? '' : readFileSync(rec.log, 'utf8').slice(start).trim();
  await cleanupContainer({ ...rec, removeBundle: false }, warn);
  if (r.signal) {
    const details = lastLines(out);
    throw new CtnrError('RUNTIME_FAILED', `${rec.runtime.name} was killed by ${r.signal} while starting ${rec.id}`, details.length > 0 ? { details } : {});
  }
  const why = r.error?.message ?? (out || `exit status ${r.status}${dropped ? ' (its output is not kept: logging driver none)' : ''}`);
  throw new CtnrError('RUNTIME_FAILED', `${rec.runtime.name} could not start ${rec.id}: ${why}`);
}

/**
 * startDetached for a container with a restart policy or a rotated log: its monitor (src/runtime/monitor.ts) runs
 * it, in a session of its own so it outlives this process, and says on a pipe whether the first start worked. Its
 * output goes to the log; a failed start is reported as startDetached reports one.
 */
async function startSupervised(rec: ContainerRecord & { log: string }, warn: (m: string) => void): Promise<void> {
  const root = path.dirname(rec.root);
  const start = statSync(rec.log, { throwIfNoEntry: false })?.size ?? 0;
  writeRecord(rec, root);
  const fd = openSync(rec.log, 'a', 0o600);
  let child;
  try {
    child = spawn(process.execPath, [...helperEntry(import.meta.url, 'monitor-main', 'monitor.cjs', 'RUNTIME_FAILED'), root, rec.id, '3'], {
      stdio: ['ignore', fd, fd, 'pipe'],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  const monitor = child.pid !== undefined ? processId(child.pid) : undefined;
  if (monitor) writeRecord({ ...rec, monitor }, root);
  const word = await new Promise<string>((resolve) => {
    let text = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.on('data', (d: Buffer) => (text += d.toString()));
    pipe.on('close', () => resolve(text.trim()));
    pipe.on('error', () => resolve(text.trim()));
    child.on('error', () => resolve('failed'));
  });
  (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
  child.unref();
  if (word === 'started') return;
  const out = readFileSync(rec.log, 'utf8').slice(start).trim();
  await cleanupContainer({ ...rec, removeBundle: false }, warn);
  throw new CtnrError('RUNTIME_FAILED', `${rec.runtime.name} could not start ${rec.id}: ${out || 'its monitor ended before the container started'}`);
}

/**
 * A container `ctnr up` must see finish (a `depends_on` condition `service_completed_successfully`): `runtime run`
 * without `--detach`, its output appended to `rec.log` as a detached container's is (rotated through a pump this
 * process runs while it waits; nowhere with `logDriver: none`), and its exit status returned
 * (128 + the signal when one killed it). The runtime deletes the container when it ends (its poststop hooks
 * release the network); the record (with the exit status) and the bundle stay, with the log, until `ctnr down`
 * removes them.
 */
export async function runToCompletion(rec: ContainerRecord & { log: string }): Promise<number> {
  const pump = rec.logRotation ? openPump(rec, rec.logRotation) : undefined;
  const fd = pump?.writeFd ?? openSync(rec.logDriver === 'none' ? '/dev/null' : rec.log, 'a', 0o600);
  try {
    writeRecord(rec, path.dirname(rec.root));
    const child = spawn(rec.runtime.path, ['--root', rec.root, 'run', '--bundle', rec.bundle, rec.id], { stdio: ['ignore', fd, fd] });
    const status = await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new CtnrError('RUNTIME_FAILED', `cannot start ${rec.runtime.path}: ${err.message}`)));
      child.on('exit', (code, signal) => resolve(code ?? statusForSignal(signal)));
    });
    // `ctnr ps` shows it as exited with this status until `ctnr down` removes it.
    writeRecord({ ...rec, exitStatus: status }, path.dirname(rec.root));
    return status;
  } finally {
    if (pump) await pump.finish();
    else closeSync(fd);
  }
}

/** This process writes the rotated log of a container it runs to its end (as a monitor does for a detached one). */
function openPump(rec: ContainerRecord & { log: string }, rotation: { maxBytes: number; maxFiles: number }): OutputPump {
  try {
    return OutputPump.open(path.join(rec.bundle, OUTPUT_FIFO), rec.log, rotation.maxBytes, rotation.maxFiles);
  } catch (err) {
    throw new CtnrError('RUNTIME_FAILED', `cannot run ${rec.id}: ${(err as Error).message}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= end) return false;
    await sleep(100);
  }
  return true;
}

/** A signal to a process that may have ended meanwhile (or belong to another user): what is left is stopped below. */
function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* gone already, or not ours */
  }
}

function waitStopped(rec: ContainerRecord, ms: number): Promise<boolean> {
  return waitUntil(() => {
    const s = queryState(rec);
    return s === undefined || s.status === 'stopped';
  }, ms);
}

/**
 * Stop a detached container the way docker does: the stop signal, up to the grace period, then SIGKILL; then
 * delete its state (and its bundle when it was created for it).
 */
export async function stopContainer(rec: ContainerRecord, note: (m: string) => void = () => {}): Promise<void> {
  if (rec.monitor && monitorAlive(rec)) {
    // The monitor stops the container itself (so it cannot start it again meanwhile) and ends: the grace period it
    // reads from the record, where `down -t` may have changed it.
    writeRecord(rec, path.dirname(rec.root));
    signalQuietly(rec.monitor.pid, 'SIGTERM');
    const graceMs = Math.round(rec.stopGracePeriodNs / 1e6);
    if (!(await waitUntil(() => !sameProcessAlive(rec.monitor!), graceMs + 10_000))) {
      note(`the monitor of ${rec.id} did not end: killing it`);
      signalQuietly(rec.monitor.pid, 'SIGKILL');
    }
  }
  const state = queryState(rec);
  if (state && state.status !== 'stopped') {
    killContainer(rec, rec.stopSignal);
    if (!(await waitStopped(rec, Math.round(rec.stopGracePeriodNs / 1e6)))) {
      note(`${rec.id} did not stop within the grace period after ${rec.stopSignal}: sending SIGKILL`);
      killContainer(rec, 'SIGKILL');
      await waitStopped(rec, 5000);
    }
  }
  await cleanupContainer(rec, note);
}
