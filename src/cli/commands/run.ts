import { knownContainers } from '../../runtime/facts.js';
import { lifecycleHooks, runLifecycleHooks } from '../../runtime/lifecycle.js';
import { prepareContainer } from '../../runtime/launch.js';
import { createProgress } from '../../runtime/progress.js';
import { withProjectLock } from '../../runtime/project-lock.js';
import { runForeground, startDetached } from '../../runtime/run.js';
import { selectRuntime } from '../../runtime/select.js';
import { CtnrError, isCtnrError } from '../../engine/errors.js';
import { printDiagnostics, printError, yellow } from '../output.js';
import { openForBundles, type BundleSourceOptions } from './bundle.js';

export interface RunOptions extends BundleSourceOptions {
  runtime?: string;
  detach?: boolean;
  rm?: boolean;
  name?: string;
  interactive?: boolean;
}

export function note(message: string): void {
  process.stderr.write(`${yellow('note')}: ${message}\n`);
}

/** The project lock (see withProjectLock), saying so while another ctnr command holds it. */
export function lockProject<T>(project: string, fn: () => Promise<T>): Promise<T> {
  return withProjectLock(project, fn, { onWait: (pid) => note(`waiting for ctnr (pid ${pid}) to finish with project ${project}`) });
}

export async function runCommand(service: string, command: string[], opts: RunOptions): Promise<void> {
  const { runtime, note: runtimeNote } = selectRuntime(opts.runtime ? { choice: opts.runtime } : {});
  if (runtimeNote) note(runtimeNote);
  const project = await openForBundles(opts);
  // The project lock covers preparing and starting: a detached container until it runs, a foreground one until
  // its bundle is ready (holding it while the container runs would block up and down for as long).
  let foreground: (() => Promise<number>) | undefined;
  let hookFailed = false;
  const hookOptions = {
    locate: (p: Array<string | number>) => (project.compose.origins[String(p[1])] ?? project.compose).positions.locate(p),
    output: (line: string) => process.stderr.write(`${line}\n`),
  };
  await lockProject(project.compose.name, async () => {
    const progress = createProgress();
    let prepared;
    try {
      const known = knownContainers(project.compose.name);
      prepared = await prepareContainer(project, service, {
        runtime,
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
      progress.step(`starting ${prepared.record.id} with ${runtime.name}`);
    } finally {
      progress.done();
    }
    const { record, bundle } = prepared;
    printDiagnostics(bundle.run.diagnostics);
    const terminal = Boolean(bundle.spec.process?.terminal);
    if (opts.detach) {
      if (terminal) throw new CtnrError('USAGE', `service "${service}" asks for a terminal (tty: true); it cannot run detached`);
      await startDetached({ ...record, log: record.log! }, note);
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
