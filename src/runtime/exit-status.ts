import os from 'node:os';

/** Exit status of a process killed by `signal`, the way shells report it (128 + number); 1 when none is known. */
export function statusForSignal(signal: NodeJS.Signals | null): number {
  const n = signal ? os.constants.signals[signal] : undefined;
  return n === undefined ? 1 : 128 + n;
}
