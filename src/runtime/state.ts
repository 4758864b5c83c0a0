import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Mount } from '../spec/types.js';
import type { Runtime } from './select.js';
import type { RestartPolicy } from './restart.js';
import { sameProcessAlive, type ProcessId } from '../linux/pid.js';

/**
 * Where ctnr keeps run state: `/run/ctnr` as root, `$XDG_RUNTIME_DIR/ctnr` for an unprivileged user (a tmpfs
 * that disappears at reboot, like the containers). Below it: the runtime's own `--root` per runtime
 * (`runc/`, `crun/`), and one record per container ctnr started (`containers/<id>.json`) for `ps` and `down`.
 */
export function runRoot(uid = process.getuid?.() ?? 0, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CTNR_RUN_ROOT) return env.CTNR_RUN_ROOT;
  if (uid === 0) return '/run/ctnr';
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'ctnr');
  return path.join('/tmp', `ctnr-${uid}`);
}

/** The runtime's `--root`: separate per runtime (runc and crun state formats differ). */
export function runtimeRoot(runtime: Runtime, root = runRoot()): string {
  return path.join(root, runtime.name);
}

export interface ContainerRecord {
  id: string;
  runtime: Runtime;
  /** The runtime's --root. */
  root: string;
  bundle: string;
  service: string;
  project: string;
  detached: boolean;
  /** Remove the bundle when the container is removed. */
  removeBundle: boolean;
  /** Signal for a graceful stop (spec annotation org.opencontainers.image.stopSignal, default SIGTERM). */
  stopSignal: string;
  /** Nanoseconds to wait after the stop signal before SIGKILL. */
  stopGracePeriodNs: number;
  /** Detached containers: where their stdout and stderr go. */
  log?: string;
  /** The service's `logging:` rotates the log (src/runtime/log-policy.ts): the container's monitor writes it. */
  logRotation?: { maxBytes: number; maxFiles: number };
  /** `logging.driver: none`: the output is dropped, and `ctnr logs` says so. */
  logDriver?: 'none';
  /** The data dir the bundle was made with: its network state lets a cleanup work without the bundle. */
  dataDir?: string;
  /** Its number among the service's replicas (`deploy.replicas`/`scale` above 1). */
  replica?: number;
  /** A container `ctnr up` ran to its end (service_completed_successfully): its exit status. */
  exitStatus?: number;
  /** The service's `ipc` mode as written ("" when unset). */
  ipc?: string;
  /** Host directory of its /dev/shm (`ipc: shareable`), mounted as a tmpfs while it exists. */
  shm?: string;
  /** Its volumes and binds, sources absolute: what `volumes_from` shares. */
  mounts?: Mount[];
  /** `ctnr up` of a service with a restart policy: the policy, applied by a monitor process (src/runtime/monitor.ts). */
  restart?: RestartPolicy;
  /** That monitor: its pid and start time (a pid reused by another process has another start time). */
  monitor?: ProcessId;
  /** How often the monitor restarted the container. */
  restarts?: number;
}

/** The file the runtime writes the container's pid to when the monitor runs it (`--pid-file`). */
export function pidFileOf(id: string, root = runRoot()): string {
  return path.join(recordsDir(root), `${id}.pid`);
}

function recordsDir(root: string): string {
  return path.join(root, 'containers');
}

export function writeRecord(rec: ContainerRecord, root = runRoot()): void {
  const dir = recordsDir(root);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = path.join(dir, `${rec.id}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export function readRecord(id: string, root = runRoot()): ContainerRecord | undefined {
  try {
    return JSON.parse(readFileSync(path.join(recordsDir(root), `${id}.json`), 'utf8')) as ContainerRecord;
  } catch {
    return undefined;
  }
}

export function removeRecord(id: string, root = runRoot()): void {
  rmSync(path.join(recordsDir(root), `${id}.json`), { force: true });
  rmSync(pidFileOf(id, root), { force: true });
}

export function listRecords(root = runRoot()): ContainerRecord[] {
  let names: string[];
  try {
    names = readdirSync(recordsDir(root)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names
    .sort()
    .map((n) => readRecord(n.slice(0, -'.json'.length), root))
    .filter((r): r is ContainerRecord => r !== undefined);
}

export interface RuntimeState {
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused' | string;
  pid?: number;
}

/** `runtime --root R state ID`, or undefined when the runtime has no such container. */
export function queryState(rec: Pick<ContainerRecord, 'id' | 'runtime' | 'root'>): RuntimeState | undefined {
  const r = spawnSync(rec.runtime.path, ['--root', rec.root, 'state', rec.id], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  try {
    const s = JSON.parse(r.stdout) as { status: string; pid?: number };
    return { status: s.status, ...(s.pid ? { pid: s.pid } : {}) };
  } catch {
    return undefined;
  }
}

/** Whether the container's monitor still runs (it may be waiting to start the container again, or writing its log). */
export function monitorAlive(rec: Pick<ContainerRecord, 'monitor'>): boolean {
  return rec.monitor !== undefined && sameProcessAlive(rec.monitor);
}

/**
 * The runtime's status of the container, or `restarting` while its monitor waits to start it again. `state`: the
 * runtime's answer when the caller already asked (ps also shows its pid).
 */
export function containerStatus(rec: ContainerRecord, state: RuntimeState | undefined = queryState(rec)): string | undefined {
  if (state !== undefined && state.status !== 'stopped') return state.status;
  // A monitor without a restart policy only writes the log: it ends once the output is in.
  return rec.restart && monitorAlive(rec) ? 'restarting' : state?.status;
}
