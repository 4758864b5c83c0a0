import { lstatSync } from 'node:fs';
import path from 'node:path';
import { config as zodConfig } from 'zod';
import { createEnv } from '../linux/env.js';
import { CtnrError, type Spec } from './lib.js';
import { globalOptions } from './args.js';
import { loadRuntimeConfig } from './config.js';
import { containerInfo, engineManagedDirs } from './container.js';
import { format, judgeSpec, readSpec, type CreateRequest } from './create.js';
import { isRootless, resolveRuntime } from './locate.js';
import { report } from './log.js';
import { writeAtomic } from './write.js';

export interface ExecRequest extends CreateRequest {
  /** The arguments as the engine gave them (the global options are passed on to `state`). */
  argv: readonly string[];
}

/**
 * `exec --process FILE ID`: the process an engine asks the runtime to start in a running container (podman exec,
 * containerd's tasks, kubectl exec) is judged like a container: the validators that declare `exec` run on the
 * container's config.json with `process` replaced by FILE's, after the mutators that run in spec mode (the policy
 * fixes). An enforced violation refuses the exec (exit 1, the reasons on stderr and in the runtime log: `podman exec
 * --privileged` into a container of a baseline host is refused); a process the fixes changed is written back to
 * FILE (atomically) before the runtime reads it. Without `--process` (runc's flags build the process; engines do
 * not start processes that way) the exec is handed over as it is. Fails closed: a process file, container or
 * bundle that cannot be read fails the command.
 */
export async function prepareExec(req: ExecRequest): Promise<{ runtime?: string }> {
  zodConfig({ jitless: true });
  const rc = await loadRuntimeConfig(req.configFile);
  const runtime = resolveRuntime(rc.runtime, { configFile: rc.file, ...(req.self ? { self: req.self } : {}), ...(req.env ? { env: req.env } : {}) });
  const { processFile, containerId } = req.args;
  if (processFile === undefined) return { runtime };
  if (containerId === undefined) throw new CtnrError('USAGE', 'exec: no container id');

  const file = path.resolve(req.cwd ?? process.cwd(), processFile);
  // Read once and maybe replaced: a FIFO would be emptied before the runtime reads it, and a rename would replace
  // a symlink itself, not its target. Engines write a regular file.
  if (!lstatSync(file, { throwIfNoEntry: false })?.isFile()) {
    throw new CtnrError('BUNDLE_FAILED', `exec: the process file ${file} is not a regular file (ctnr-runtime reads it, and may rewrite it, before the runtime does)`);
  }
  const proc = readSpec(file, 'the exec process');
  const bundle = bundleOf(runtime, globalOptions(req.argv), containerId);
  const { spec } = readSpec(path.join(bundle, 'config.json'));
  const container = containerInfo(containerId, bundle, spec);
  const env = createEnv({
    rootless: isRootless(req.env),
    dataDir: bundle,
    ...(typeof spec.root?.path === 'string' ? { rootfs: path.resolve(bundle, spec.root.path) } : {}),
    container,
    engineManagedDirs: engineManagedDirs(container, spec, req.args.pidFile),
  });
  const before = JSON.stringify(proc.spec);
  const asExec: Spec = { ...spec, process: proc.spec as unknown as Spec['process'] };
  const judged = await judgeSpec(rc, asExec, container, env, 'exec');
  report(req.log, 'warning', judged.warnings);
  if (judged.enforced.length > 0) {
    report(req.log, 'error', judged.enforced, true);
    return {};
  }
  // The pipeline changes the spec it is given in place: compare with the process as read.
  const fixed = judged.spec.process;
  if (judged.changed && JSON.stringify(fixed) !== before) writeAtomic(file, format(fixed, proc.text), proc.stat);
  return { runtime };
}

/** The container's bundle directory, as the runtime's `state` reports it (under the same global options). */
function bundleOf(runtime: string, globals: readonly string[], id: string): string {
  // Not `import()`: a process started from the startup snapshot has no dynamic import; not a static import either
  // (child_process would be in the snapshot, with net and dgram, for every create).
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const r = spawnSync(runtime, [...globals, 'state', id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  let state: { bundle?: unknown } | undefined;
  try {
    state = r.status === 0 ? (JSON.parse(r.stdout) as { bundle?: unknown }) : undefined;
  } catch {
    state = undefined;
  }
  if (typeof state?.bundle !== 'string' || !path.isAbsolute(state.bundle)) {
    const why = r.error?.message ?? (r.stderr.trim().split('\n').pop() || `${runtime} state gave no bundle`);
    throw new CtnrError('BUNDLE_FAILED', `exec: cannot find container ${id}'s bundle: ${why}`);
  }
  return state.bundle;
}
