import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError, renderPath, type SourceLocation } from '../engine/errors.js';
import { LIFECYCLE_FILE, type Lifecycle, type LifecycleKind } from '../../plugins/hooks/lifecycle.js';
import type { ContainerRecord } from './state.js';
import { outputTail, runCollecting } from './hook-output.js';

/**
 * `post_start` / `pre_stop`: the processes ctnr:lifecycle wrote into the bundle, run one after the other in the
 * container with `runtime exec --process FILE ID`, as compose runs them with docker exec: post_start once the
 * container started (up, run), pre_stop before it is stopped (down, up scaling down). The first that fails (exit
 * status other than 0, or the runtime cannot exec) stops the rest and is reported with the service, the hook's
 * index and the end of its output (stderr, else stdout: compose's choice).
 */

export interface HookRunOptions {
  /** Where `services.<service>.<kind>[i]` is written (the error's location). */
  locate?: (path: Array<string | number>) => SourceLocation | undefined;
  /** Each line a hook prints (prefixed with the container and the hook), for the user. */
  output?: (line: string) => void;
  /**
   * The project's policy over each hook's process before it runs (src/cli/commands/exec-policy.ts): it may change it
   * (the fixes) or refuse it, which fails the hook.
   */
  judge?: (rec: HookContainer, proc: Record<string, unknown>, what: string) => Promise<Record<string, unknown>>;
}

/** The hooks of `kind` a bundle has (none when it has no lifecycle file). */
export function lifecycleHooks(bundle: string, kind: LifecycleKind): NonNullable<Lifecycle[LifecycleKind]> {
  const file = path.join(bundle, LIFECYCLE_FILE);
  if (!existsSync(file)) return [];
  try {
    const list = (JSON.parse(readFileSync(file, 'utf8')) as Lifecycle)[kind];
    return Array.isArray(list) ? list : [];
  } catch {
    throw new CtnrError('RUNTIME_FAILED', `${file} is not valid JSON`);
  }
}

type HookContainer = Pick<ContainerRecord, 'id' | 'bundle' | 'service' | 'dataDir'>;

/** Hook `i` of `kind` as the project's policy has it (unchanged without a judge); a refusal is located at the hook. */
async function judgedHook(rec: HookContainer, kind: LifecycleKind, i: number, given: unknown, opts: HookRunOptions): Promise<unknown> {
  if (!opts.judge) return given;
  try {
    return await opts.judge(rec, given as Record<string, unknown>, `${kind} hook ${i} of ${rec.id}`);
  } catch (err) {
    if (err instanceof CtnrError) {
      const at = ['services', rec.service, kind, i];
      err.path ??= renderPath(at);
      err.location ??= opts.locate?.(at);
    }
    throw err;
  }
}

/**
 * Judge every hook of a container's bundle before the container starts (up, run): a hook the policy refuses would
 * otherwise be refused only once the container runs (post_start), or when it is stopped (pre_stop, keeping it
 * running). Each is judged again when it runs: the policy may have changed in between.
 */
export async function judgeLifecycleHooks(rec: HookContainer, opts: HookRunOptions): Promise<void> {
  if (!opts.judge) return;
  for (const kind of ['post_start', 'pre_stop'] as const) {
    for (const [i, given] of lifecycleHooks(rec.bundle, kind).entries()) await judgedHook(rec, kind, i, given, opts);
  }
}

/** Run the `kind` hooks of container `rec` (of service `rec.service`); throws on the first failure. */
export async function runLifecycleHooks(rec: Pick<ContainerRecord, 'id' | 'runtime' | 'root' | 'bundle' | 'service' | 'dataDir'>, kind: LifecycleKind, opts: HookRunOptions = {}): Promise<void> {
  const hooks = lifecycleHooks(rec.bundle, kind);
  for (const [i, given] of hooks.entries()) {
    const at = ['services', rec.service, kind, i];
    const process = await judgedHook(rec, kind, i, given, opts);
    const file = path.join(rec.bundle, 'ctnr', `exec-${kind}-${i}.json`);
    writeFileSync(file, JSON.stringify(process) + '\n', { mode: 0o600 });
    let r;
    try {
      r = await runCollecting(rec.runtime.path, ['--root', rec.root, 'exec', '--process', file, rec.id], (line) => opts.output?.(`${rec.id} ${kind}[${i}]: ${line}`));
    } finally {
      rmSync(file, { force: true });
    }
    if (r.status === 0) continue;
    const location = opts.locate?.(at);
    const how = r.error ? `could not run: ${r.error.message}` : r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
    const out = outputTail(r.stderr) || outputTail(r.stdout);
    throw new CtnrError('RUNTIME_FAILED', `${kind} hook of ${rec.id} ${how}${out ? `: ${out}` : ''}`, location ? { path: at, location } : { path: at });
  }
}
