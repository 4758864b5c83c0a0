import { knownContainers } from '../../runtime/facts.js';
import { lifecycleHooks, runLifecycleHooks } from '../../runtime/lifecycle.js';
import { idUsable, prepareContainer } from '../../runtime/launch.js';
import { createProgress } from '../../runtime/progress.js';
import { runForeground, startDetached } from '../../runtime/run.js';
import { selectRuntime } from '../../runtime/select.js';
import { CtnrError, isCtnrError } from '../../engine/errors.js';
import { printDiagnostics, printError } from '../output.js';
import { lockProject, note } from './notes.js';
import { startOrder } from '../../runtime/order.js';
import { execJudge } from './exec-policy.js';
import { judgeHooksBeforeStart, planStart, runtimeOfService, startServices } from './start-services.js';
import { selectService } from '../../compose/select.js';
import { containerKeysOf } from '../../runtime/start-keys.js';
import { logRecordFields } from '../../runtime/log-policy.js';
import { openForBundles, type BundleSourceOptions } from './bundle.js';
import { buildBeforeStart, type BuildFlag } from './build.js';

export interface RunOptions extends BundleSourceOptions, BuildFlag {
  runtime?: string;
  /** false with --no-deps: the service alone, not what it depends on. */
  deps?: boolean;
  detach?: boolean;
  rm?: boolean;
  name?: string;
  interactive?: boolean;
}

export async function runCommand(service: string, command: string[], opts: RunOptions): Promise<void> {
  // docker keeps a detached container's stdin open for a later `attach`; ctnr has no attach, so -i would be dropped.
  if (opts.detach && opts.interactive) throw new CtnrError('USAGE', '-i keeps stdin attached and -d detaches: ctnr has no attach to give a detached container stdin later, so use one or the other');
  const { runtime, note: runtimeNote } = selectRuntime(opts.runtime ? { choice: opts.runtime } : {});
  if (runtimeNote) note(runtimeNote);
  const project = await openForBundles(opts, [service]);
  // The project lock covers preparing and starting: a detached container until it runs, a foreground one until
  // its bundle is ready (holding it while the container runs would block up and down for as long).
  let foreground: (() => Promise<number>) | undefined;
  let hookFailed = false;
  const hookOptions = {
    locate: (p: Array<string | number>) => (project.compose.origins[String(p[1])] ?? project.compose).positions.locate(p),
    output: (line: string) => process.stderr.write(`${line}\n`),
    // post_start hooks are held to the project's policy, as `ctnr exec` is.
    judge: execJudge(project.compose.dir, project.config, opts.preset ?? []),
  };
  await lockProject(project.compose.name, async () => {
    // What it depends on first, as `ctnr up` starts it (compose's run does the same), reported on stderr: stdout is
    // the container's. Its own depends_on conditions are waited for.
    // With --rootfs or --image, they get it too, as `up --rootfs` gives it to every service. Containers of theirs
    // other than the ones up would start (a `run -d --name` of one) are left alone.
    const withDeps = opts.deps !== false && Object.hasOwn(project.compose.services, service);
    const deps = withDeps ? startOrder(project.compose.services, [service], hookOptions.locate, note).filter((s) => s !== service) : [];
    // Images of services that build one, before anything starts.
    if (Object.hasOwn(project.compose.services, service)) await buildBeforeStart(project, [...deps, service], opts, runtime.path);
    if (deps.length > 0) {
      // Its own id first: a name in use must not leave dependencies started for nothing.
      idUsable(opts.name ?? `${project.compose.name}-${service}`);
      const plan = planStart(project, deps, hookOptions.locate, [service]);
      const say = (line: string) => process.stderr.write(`${line}\n`);
      await startServices({ project, runtime, source: opts, locate: hookOptions.locate, say, judge: hookOptions.judge, keepOthers: true }, plan);
    }
    // Its `runtime:` (runc or crun, over the command's) and `logging:`, read before anything of it is made: a value
    // that is none is a located error.
    const keys = Object.hasOwn(project.compose.services, service)
      ? containerKeysOf(service, selectService(project.compose, service).input.service, hookOptions.locate)
      : undefined;
    const serviceRuntime = runtimeOfService(runtime, keys?.runtime);
    const progress = createProgress();
    let prepared;
    try {
      const known = knownContainers(project.compose.name);
      prepared = await prepareContainer(project, service, {
        runtime: serviceRuntime,
        env: { containerPids: known.pids, containers: known.containers },
        ...(opts.name ? { id: opts.name } : {}),
        ...(opts.rootfs ? { rootfs: opts.rootfs } : {}),
        ...(opts.image ? { image: opts.image } : {}),
        command,
        detached: Boolean(opts.detach),
        removeBundle: Boolean(opts.rm),
        progress: (s) => progress.step(s),
        warn: note,
      });
      progress.step(`starting ${prepared.record.id} with ${serviceRuntime.name}`);
    } finally {
      progress.done();
    }
    const { record, bundle } = prepared;
    printDiagnostics(bundle.run.diagnostics);
    await judgeHooksBeforeStart(record, hookOptions);
    const terminal = Boolean(bundle.spec.process?.terminal);
    if (opts.detach) {
      if (terminal) throw new CtnrError('USAGE', `service "${service}" asks for a terminal (tty: true); it cannot run detached`);
      for (const w of keys?.logging.warnings ?? []) note(`${service}: ${w}`);
      await startDetached({ ...record, log: record.log!, ...(keys ? logRecordFields(keys.logging.policy) : {}) }, note);
      try {
        await runLifecycleHooks(record, 'post_start', hookOptions);
      } catch (err) {
        if (isCtnrError(err)) err.details = [...(err.details ?? []), `${record.id} keeps running (ctnr down stops it)`];
        throw err;
      }
      process.stdout.write(record.id + '\n');
      return;
    }
    const interactive = Boolean(opts.interactive) || Boolean((bundle.run.input.service as { stdin_open?: boolean }).stdin_open);
    // post_start runs once the container runs, beside it (compose's run does the same); a failure is reported at
    // once and makes the exit status 1 if the container's own is 0.
    const hooks = lifecycleHooks(record.bundle, 'post_start').length > 0;
    foreground = () =>
      runForeground(record, {
        interactive,
        terminal,
        note,
        ...(hooks
          ? {
              afterStart: () =>
                runLifecycleHooks(record, 'post_start', hookOptions).catch((err) => {
                  hookFailed = true;
                  printError(err);
                }),
            }
          : {}),
      });
  });
  if (foreground) {
    const status = await foreground();
    process.exitCode = status === 0 && hookFailed ? 1 : status;
  }
}
