import { activeServiceNames } from '../../compose/select.js';
import { knownContainers } from '../../runtime/facts.js';
import { prepareContainer } from '../../runtime/launch.js';
import { startOrder } from '../../runtime/order.js';
import { createProgress } from '../../runtime/progress.js';
import { startDetached } from '../../runtime/run.js';
import { selectRuntime } from '../../runtime/select.js';
import { queryState, readRecord, runRoot } from '../../runtime/state.js';
import { printDiagnostics } from '../output.js';
import { openForBundles, type BundleSourceOptions } from './bundle.js';
import { lockProject, note } from './run.js';

/**
 * Start the selected services (all by default) and their dependencies, detached, in depends_on order, holding
 * the project's lock (a second `up` or a `down` waits for this one).
 */
export async function upCommand(services: string[], opts: BundleSourceOptions & { runtime?: string }): Promise<void> {
  const { runtime, note: runtimeNote } = selectRuntime(opts.runtime ? { choice: opts.runtime } : {});
  if (runtimeNote) note(runtimeNote);
  const project = await openForBundles(opts);
  // Without names, only the services of the active profiles start (compose's rule); named ones always do.
  const compose = project.compose;
  const locate = (p: Array<string | number>) => (compose.origins[String(p[1])] ?? compose).positions.locate(p);
  const order = startOrder(compose.services, services.length > 0 ? services : activeServiceNames(compose), locate);
  await lockProject(project.compose.name, async () => {
    for (const service of order) {
      const id = `${project.compose.name}-${service}`;
      const existing = readRecord(id, runRoot());
      const state = existing ? queryState(existing) : undefined;
      if (state && state.status !== 'stopped') {
        process.stdout.write(`${id} already ${state.status}\n`);
        continue;
      }
      const progress = createProgress();
      try {
        // The containers started so far (this loop's too): links, volumes_from and service: modes refer to them.
        const known = knownContainers(project.compose.name);
        const { record, bundle } = await prepareContainer(project, service, {
          env: { containerPids: known.pids, containers: known.containers },
          runtime,
          ...(opts.rootfs ? { rootfs: opts.rootfs } : {}),
          ...(opts.image ? { image: opts.image } : {}),
          detached: true,
          removeBundle: true,
          progress: (s) => progress.step(`${service}: ${s}`),
          warn: note,
        });
        progress.done();
        printDiagnostics(bundle.run.diagnostics);
        progress.step(`${service}: starting with ${runtime.name}`);
        await startDetached({ ...record, log: record.log! }, note);
      } finally {
        progress.done();
      }
      process.stdout.write(`${id} started\n`);
    }
  });
}
