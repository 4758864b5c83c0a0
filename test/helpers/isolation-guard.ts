import { afterAll } from 'vitest';

/**
 * Setup file of the unit project (vitest.config.ts). There, `isolate: false`: a worker runs its test files one
 * after another in one process, so whatever a file leaves in the process is what the next file starts with.
 * vitest evaluates this module again before every file; after the file, anything it changed in the process is
 * put back and the file fails, naming it, so a leak shows up in the file that leaks and not as a puzzle in
 * whichever file happens to run next in that worker.
 */
const env = { ...process.env };
const cwd = process.cwd();
const umask = process.umask();
const writes = { stdout: process.stdout.write, stderr: process.stderr.write };

afterAll(() => {
  const left: string[] = [];
  const changed = Object.keys({ ...env, ...process.env }).filter((k) => env[k] !== process.env[k]);
  for (const k of changed) {
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  if (changed.length > 0) left.push(`environment variables ${changed.join(', ')} (restore them, or use vi.stubEnv and vi.unstubAllEnvs)`);
  if (process.cwd() !== cwd) {
    left.push(`the working directory ${process.cwd()} (was ${cwd})`);
    process.chdir(cwd);
  }
  if (process.umask() !== umask) {
    left.push(`umask ${process.umask().toString(8)} (was ${umask.toString(8)})`);
    process.umask(umask);
  }
  if (process.exitCode !== undefined && process.exitCode !== 0) {
    left.push(`process.exitCode ${process.exitCode} (an in-process CLI run: set it back to undefined)`);
    process.exitCode = undefined;
  }
  for (const name of ['stdout', 'stderr'] as const) {
    if (process[name].write !== writes[name]) {
      left.push(`a replaced process.${name}.write (restore the spy)`);
      process[name].write = writes[name];
    }
  }
  if (left.length > 0) {
    throw new Error(`this test file left process state behind for the next file in its worker (unit tests share a process): ${left.join('; ')}`);
  }
});
