import { readFileSync } from 'node:fs';

/**
 * Whether `pid` names a live process (ours included). Lock files and temporary directories carry their owner's
 * pid, so that what a killed process left behind can be told from what a running one is using.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie answers signal 0 but has ended (see processId); without /proc to tell, it counts as alive.
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
}

/** Field 3 of /proc/PID/stat (R, S, D, Z, …), or undefined when it cannot be read. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** A process named so that a later process given the same pid is not taken for it. */
export interface ProcessId {
  pid: number;
  /** Field 22 of /proc/PID/stat: when it started, in clock ticks after boot. */
  start: number;
}

/** The running process `pid` as a ProcessId, or undefined when there is none. */
export function processId(pid: number): ProcessId | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it follow its last `)`.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // A zombie has ended; only its parent has not collected it yet (an init that reaps orphans late: a monitor
  // outlives the `ctnr up` that started it).
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const start = Number(fields[19]);
  return Number.isInteger(start) ? { pid, start } : undefined;
}

/** Whether the process `id` names still runs (the same pid with the same start time). */
export function sameProcessAlive(id: ProcessId): boolean {
  return processId(id.pid)?.start === id.start;
}
