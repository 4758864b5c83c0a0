import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../../helpers/shared.js';
import { which } from '../../helpers/runc.js';
import { expectValidSpec } from '../../helpers/schema.js';
import { buildBusyboxRootfs } from '../../helpers/rootfs.js';
import { afterAll, beforeAll } from 'vitest';

/**
 * E2E helpers for driving the real CLI (`node bin/ctnr.cjs`, built by `npm run build`) with a private data
 * dir and run root, so tests never touch /var/lib/ctnr or /run/ctnr and cannot see each other's containers.
 */
export const CLI = path.join(REPO, 'bin/ctnr.cjs');

export function requireBuild(): void {
  if (!existsSync(path.join(REPO, 'dist/cli.cjs'))) throw new Error('dist/cli.cjs is missing: run `npm run build` first (npm test does)');
}

export interface Sandbox {
  dir: string;
  dataDir: string;
  runRoot: string;
  env: NodeJS.ProcessEnv;
  /** Containers the runtime still knows under this sandbox's run root, per runtime. */
  runtimeState(runtime?: string): string[];
  /** ctnr's container records left under the run root. */
  records(): string[];
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-e2e-'));
  const runRoot = path.join(dir, 'run');
  const env = { ...process.env, CTNR_RUN_ROOT: runRoot, NO_COLOR: '1' };
  const runtimeState = (runtime = 'runc') => {
    const r = spawnSync(runtime, ['--root', path.join(runRoot, runtime), 'list', '-q'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
  };
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    runRoot,
    env,
    runtimeState,
    records: () => {
      try {
        return readdirSync(path.join(runRoot, 'containers'));
      } catch {
        return [];
      }
    },
    cleanup: () => {
      for (const rt of ['runc', 'crun']) {
        if (!which(rt)) continue;
        for (const id of runtimeState(rt)) spawnSync(rt, ['--root', path.join(runRoot, rt), 'delete', '--force', id]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI to completion. With `crunWorkaround`, it runs inside `unshare -m` with the cgroup2 hierarchy at
 * /sys/fs/cgroup/unified unmounted (RUNTIME-NOTES.md: crun 1.8 refuses the hybrid layout of this VM).
 */
export function ctnr(args: string[], sb: Sandbox, opts: { cwd?: string; timeoutMs?: number; crunWorkaround?: boolean } = {}): CliResult {
  const [cmd, argv] = cliCommand(args, opts.crunWorkaround);
  const r = spawnSync(cmd, argv, { cwd: opts.cwd ?? sb.dir, env: sb.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000 });
  validateNewBundles(sb.dir);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : '') };
}

const validated = new Map<string, number>();

/** Every config.json the CLI wrote under the sandbox validates against the runtime-spec schema. */
function validateNewBundles(root: string, depth = 0): void {
  if (depth > 5) return;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(root, e.name);
    if (e.isDirectory() && e.name !== 'rootfs') validateNewBundles(p, depth + 1);
    else if (e.isFile() && e.name === 'config.json' && existsSync(path.join(root, 'ctnr.json'))) {
      const mtime = statSync(p).mtimeMs;
      if (validated.get(p) === mtime) continue;
      validated.set(p, mtime);
      expectValidSpec(JSON.parse(readFileSync(p, 'utf8')));
    }
  }
}

/** The command line that runs the built CLI with `args` (inside crun's workaround when asked: see `ctnr`). */
export function cliCommand(args: string[], crunWorkaround = false): [string, string[]] {
  if (!crunWorkaround) return [process.execPath, [CLI, ...args]];
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return ['unshare', ['-m', 'sh', '-c', `umount /sys/fs/cgroup/unified 2>/dev/null; exec ${quoted}`]];
}

/** Start the CLI in the background; resolves `ready` when `marker` appears on its stdout. */
export function ctnrAsync(args: string[], sb: Sandbox, marker: string, opts: { crunWorkaround?: boolean } = {}) {
  const [cmd, argv] = cliCommand(args, opts.crunWorkaround);
  const child = spawn(cmd, argv, { cwd: sb.dir, env: sb.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let resolveReady: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  child.stdout.on('data', (d) => {
    stdout += d;
    if (stdout.includes(marker)) resolveReady();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, ready, done };
}

/** crun works here as is, or only with the unshare workaround (hybrid cgroups): same rule as `ctnr run`. */
export { hostBlocksCrun as crunNeedsWorkaround } from '../../../src/runtime/select.js';

/**
 * For one describe block: before it, the built CLI is required and a sandbox and a busybox rootfs are made
 * (handed to `set`); after it, both are removed.
 */
export function withSandbox(set: (sb: Sandbox, rootfs: string) => void): void {
  let sb: Sandbox | undefined;
  let cleanupRootfs: (() => void) | undefined;
  beforeAll(() => {
    requireBuild();
    sb = sandbox();
    const built = buildBusyboxRootfs();
    cleanupRootfs = built.cleanup;
    set(sb, built.rootfs);
  });
  afterAll(() => {
    sb?.cleanup();
    cleanupRootfs?.();
  });
}
