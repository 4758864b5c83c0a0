import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects (issue 15). `npm test` runs both in one `vitest run`: unit first, then e2e (`sequence.groupOrder`),
 * and the summary reporter prints one closing line for both. `npm run test:unit` / `npm run test:e2e` run one.
 *
 * - unit: everything that starts no container, network, daemon or registry and shares no host state: each file
 *   works in its own mkdtemp dirs (or none), so files run in parallel.
 * - e2e: test/e2e/** and the few files elsewhere that run runc/crun (they share the runtime's cgroups, bridge
 *   names, iptables and mounts), one file at a time.
 */
const E2E = [
  'test/e2e/**/*.test.ts',
  // `ctnr run` under runc through a pseudo-terminal (the progress line).
  'test/cli/image-and-tty.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Every test file that is not e2e (a new folder cannot be left out of `npm test` by accident).
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...E2E],
          sequence: { groupOrder: 0 },
          fileParallelism: true,
          // vitest's default is one worker fewer than the CPUs: a single worker on a 2-core machine. The files
          // wait on child processes (the built CLI, tar, npm) often enough that one worker per CPU pays.
          maxWorkers: Math.max(2, availableParallelism()),
          // A worker runs its files one after another in one process and one module graph (no new process and
          // no re-import of src/ per file: a third less CPU, the runtime-spec validator built once per worker).
          // So a unit file leaves nothing behind: env vars and spies restored, process.exitCode reset, no
          // vi.mock, no changing an object another module exported, no process.chdir. The guard fails a file that
          // leaves env vars, the cwd, the umask, process.exitCode or a stdout/stderr spy changed (and puts them back).
          isolate: false,
          setupFiles: ['./test/helpers/isolation-guard.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          sequence: { groupOrder: 1 },
          // Containers share runc's state, cgroups, bridge names and iptables: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
