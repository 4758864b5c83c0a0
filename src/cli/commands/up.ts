import { activeServiceNames, selectService } from '../../compose/select.js';
import { isCtnrError } from '../../engine/errors.js';
import type { ServiceHook } from '../../engine/service.js';
import { knownContainers } from '../../runtime/facts.js';
import { runLifecycleHooks } from '../../runtime/lifecycle.js';
import { prepareContainer } from '../../runtime/launch.js';
import { runPreStartHooks } from '../../runtime/pre-start.js';
import { startOrder } from '../../runtime/order.js';
import { createProgress } from '../../runtime/progress.js';
import { replicaIds } from '../../runtime/replicas.js';
import { startDetached, stopContainer } from '../../runtime/run.js';
import { selectRuntime } from '../../runtime/select.js';
import { listRecords, queryState, readRecord, runRoot } from '../../runtime/state.js';
import { printDiagnostics } from '../output.js';
import { openForBundles, type BundleSourceOptions } from './bundle.js';
import { lockProject, note } from './run.js';

/**
 * Start the selected services (all by default) and their dependencies, detached, in dependency order, holding
 * the project's lock (a second `up` or a `down` waits for this one). A service runs `scale` containers (see
 * replicaIds); containers of a service beyond that (scaled down, or named for another count) are stopped and
 * removed first.
 */
export async function upCommand(services: string[], opts: BundleSourceOptions & { runtime?: string }): Promise<void> {
  const { runtime, note: runtimeNote } = selectRuntime(opts.runtime ? { choice: opts.runtime } : {});
  if (runtimeNote) note(runtimeNote);
  const project = await openForBundles(opts);
  const compose = project.compose;
  const locate = (p: Array<string | number>) => (compose.origins[String(p[1])] ?? compose).positions.locate(p);
  // Without names, only the services of the active profiles start (compose's rule); named ones always do.
  const order = startOrder(compose.services, services.length > 0 ? services : activeServiceNames(compose), locate);
  // Every service's replica count is checked before anything starts.
  const hookOptions = { locate, output: (line: string) => process.stderr.write(`${line}\n`) };
  const plan = order.map((service) => {
    const input = selectService(compose, service).input.service;
    return { service, ids: replicaIds(compose.name, service, input, locate), preStart: (input as { pre_start?: readonly ServiceHook[] }).pre_start ?? [] };
  });
  await lockProject(compose.name, async () => {
    for (const { service, ids, preStart } of plan) {
      let printed = false;
      for (const rec of listRecords(runRoot()).filter((r) => r.project === compose.name && r.service === service && !ids.includes(r.id))) {
        if (queryState(rec)?.status === 'running') await runLifecycleHooks(rec, 'pre_stop', hookOptions);
        await stopContainer(rec, note);
        process.stdout.write(`${rec.id} removed\n`);
      }
      // pre_start, as compose: once for the service, only when none of its containers runs (each hook in a
      // container of its own, removed afterwards); a failure stops up before the service starts.
      const running = ids.some((id) => {
        const rec = readRecord(id, runRoot());
        const st = rec ? queryState(rec) : undefined;
        return st !== undefined && st.status !== 'stopped';
      });
      if (preStart.length > 0 && !running) {
        const progress = createProgress();
        try {
          const known = knownContainers(compose.name);
          await runPreStartHooks(project, service, preStart, {
            runtime,
            env: { containerPids: known.pids, containers: known.containers },
            ...(opts.rootfs ? { rootfs: opts.rootfs } : {}),
            ...(opts.image ? { image: opts.image } : {}),
            progress: (s) => progress.step(`${service} pre_start: ${s}`),
            warn: note,
            ...hookOptions,
          });
        } finally {
          progress.done();
        }
      }
      for (const [index, id] of ids.entries()) {
        const existing = readRecord(id, runRoot());
        const state = existing ? queryState(existing) : undefined;
        if (state && state.status !== 'stopped') {
          process.stdout.write(`${id} already ${state.status}\n`);
          continue;
        }
        const label = ids.length > 1 ? `${service} #${index + 1}` : service;
        const progress = createProgress();
        let started;
        try {
          // The containers started so far (this loop's too): links, volumes_from and service: modes refer to them.
          const known = knownContainers(compose.name);
          const { record, bundle } = await prepareContainer(project, service, {
            runtime,
            id,
            ...(ids.length > 1 ? { replica: index + 1 } : {}),
            env: { containerPids: known.pids, containers: known.containers },
            ...(opts.rootfs ? { rootfs: opts.rootfs } : {}),
            ...(opts.image ? { image: opts.image } : {}),
            detached: true,
            removeBundle: true,
            progress: (s) => progress.step(`${label}: ${s}`),
            warn: note,
          });
          progress.done();
          // Once per service: its replicas have the same warnings.
          if (!printed) printDiagnostics(bundle.run.diagnostics);
          printed = true;
          progress.step(`${label}: starting with ${runtime.name}`);
          await startDetached({ ...record, log: record.log! }, note);
          started = record;
        } finally {
          progress.done();
        }
        try {
          await runLifecycleHooks(started, 'post_start', hookOptions);
        } catch (err) {
          // As compose: the container keeps running, and up stops here with the hook's failure.
          process.stdout.write(`${id} started\n`);
          if (isCtnrError(err)) err.details = [...(err.details ?? []), `${id} keeps running (ctnr down stops it)`];
          throw err;
        }
        process.stdout.write(`${id} started\n`);
      }
    }
  });
}
