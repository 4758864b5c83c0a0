/**
 * Whether `pid` names a live process (ours included). Lock files and temporary directories carry their owner's
 * pid, so that what a killed process left behind can be told from what a running one is using.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
