import { spawnSync, execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IN_CI } from './shared.js';
import { expectValidSpec } from './schema.js';
import { BUSYBOX } from './rootfs.js';

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const isRoot = process.getuid?.() === 0;

/**
 * E2E tests need root, runc (or crun) and busybox. They skip with a message on a developer machine without
 * them, and fail in CI (CI=true), where .ci/run installs them.
 */
export function e2eAvailable(runtime: 'runc' | 'crun' = 'runc'): boolean {
  const missing = [!isRoot && 'root', !which(runtime) && runtime, !BUSYBOX && 'busybox-static'].filter(Boolean);
  if (missing.length === 0) return true;
  const msg = `e2e (${runtime}) needs ${missing.join(', ')}`;
  if (IN_CI) throw new Error(`${msg}, and CI=true: .ci/run must install them`);
  console.warn(`skipping ${msg}`);
  return false;
}

let counter = 0;

/**
 * Bundle files (generated /etc/hosts, …) of the Result a spec came from: runServiceYaml attaches them to the
 * spec under this non-enumerable key (JSON never sees it), and runBundle writes them next to config.json, so a
 * bundle whose mounts point at them runs. (The real bundle writer does the same for `ctnr bundle`.)
 */
export const BUNDLE_FILES = Symbol.for('ctnr.test.bundleFiles');

interface FileLike { path: string; kind?: 'file' | 'directory'; content?: string; copyFrom?: string; mode?: number; uid?: number; gid?: number }

function writeBundleFiles(bundle: string, files: readonly FileLike[]): void {
  for (const f of files) {
    const target = path.join(bundle, f.path);
    if (f.kind === 'directory') {
      mkdirSync(target, { recursive: true, mode: f.mode ?? 0o755 });
      if (f.uid !== undefined || f.gid !== undefined) chownSync(target, f.uid ?? 0, f.gid ?? 0);
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    if (f.copyFrom !== undefined) copyFileSync(f.copyFrom, target);
    else writeFileSync(target, f.content ?? '', { mode: f.mode ?? 0o644 });
    if (f.uid !== undefined || f.gid !== undefined) chownSync(target, f.uid ?? 0, f.gid ?? 0);
  }
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Write `spec` as config.json in a fresh bundle dir whose root.path points at `rootfs`, run it with
 * `runc run` (foreground, no terminal), return its output, and delete the container and bundle.
 */
export function runBundle(spec: any, rootfs: string, opts: { runtime?: string; timeoutMs?: number; bundleDir?: string; keep?: boolean; keepHooks?: boolean } = {}): RunResult {
  const bundle = opts.bundleDir ?? mkdtempSync(path.join(os.tmpdir(), 'ctnr-bundle-'));
  mkdirSync(bundle, { recursive: true });
  writeBundleFiles(bundle, (spec?.[BUNDLE_FILES] as FileLike[] | undefined) ?? []);
  const config = { ...spec, root: { ...spec.root, path: rootfs } };
  expectValidSpec(config);
  // The network hook (CNI) has its own e2e test; elsewhere it would only add bridges and seconds per container.
  if (!opts.keepHooks) delete config.hooks;
  if (config.process) config.process = { ...config.process, terminal: false };
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  const id = `ctnr-test-${process.pid}-${++counter}`;
  const runtime = opts.runtime ?? 'runc';
  try {
    const r = spawnSync(runtime, ['run', '--bundle', bundle, id], { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : '') };
  } finally {
    spawnSync(runtime, ['delete', '-f', id], { stdio: 'ignore' });
    if (!opts.keep && !opts.bundleDir) rmSync(bundle, { recursive: true, force: true });
  }
}

/** Parse `key=value` lines printed by a probe script. Repeated keys keep the last value. */
export function parseFacts(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * Escape a shell script for a compose file: compose interpolation turns `$$` into `$` and expands `$VAR`.
 */
export function composeEscape(script: string): string {
  return script.replaceAll('$', () => '$$'); // a function: in a replacement string "$$" means one "$"
}

/**
 * A probe: the container's own shell prints facts about itself (read from its own /proc entry, since a
 * non-root child would lose caps). Extend with extra `key=$(cmd)` lines. Pass it through composeEscape()
 * when it goes into a compose service (runServiceYaml interpolates like compose).
 */
export function probeScript(extra: string[] = []): string {
  return [
    'echo uid=$(id -u)',
    'echo gid=$(id -g)',
    'echo groups=$(id -G)',
    'echo cwd=$(pwd)',
    'echo hostname=$(hostname)',
    'for k in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do echo "$k=$(grep "^$k:" /proc/$$/status | cut -f2)"; done',
    'echo nofile=$(ulimit -n)',
    ...extra,
  ].join('\n');
}

/** Decode a /proc status capability mask into CAP_ names (same table as src/linux/capabilities.ts). */
export { capabilitiesFromMask } from '../../src/linux/capabilities.js';

export { execFileSync, existsSync };
