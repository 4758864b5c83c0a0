import { readFileSync } from 'node:fs';
import { activeServiceNames, selectService } from '../../compose/select.js';
import { CtnrError, isCtnrError, type SourceLocation } from '../../engine/errors.js';
import type { DependsOn, ServiceHook } from '../../engine/service.js';
import { knownContainers } from '../../runtime/facts.js';
import { bundleHealthcheck, waitHealthy } from '../../runtime/health.js';
import { runLifecycleHooks } from '../../runtime/lifecycle.js';
import { prepareContainer } from '../../runtime/launch.js';
import { runPreStartHooks } from '../../runtime/pre-start.js';
import { startOrder, waitConditions, type WaitFor } from '../../runtime/order.js';
import { createProgress } from '../../runtime/progress.js';
import { replicaIds } from '../../runtime/replicas.js';
import { runToCompletion, startDetached, stopContainer } from '../../runtime/run.js';
import { selectRuntime } from '../../runtime/select.js';
import { listRecords, queryState, readRecord, runRoot, type ContainerRecord } from '../../runtime/state.js';
import { printDiagnostics } from '../output.js';
import { openForBundles, type BundleSourceOptions } from './bundle.js';
import { lockProject, note } from './run.js';

/**
 * Start the selected services (all by default) and their dependencies, detached, in dependency order, holding
 * the project's lock (a second `up` or a `down` waits for this one). A service runs `scale` containers (see
 * replicaIds); containers of a service beyond that (scaled down, or named for another count) are stopped and
 * removed first.
 */
export async function upCommand(services: string[], opts: BundleSourceOptions & { runtime?: string; wait?: boolean; waitTimeout?: string }): Promise<void> {
  const waitMs = waitTimeoutMs(opts);
  const { runtime, note: runtimeNote } = selectRuntime(opts.runtime ? { choice: opts.runtime } : {});
  if (runtimeNote) note(runtimeNote);
  const project = await openForBundles(opts);
  const compose = project.compose;
  const locate = (p: Array<string | number>) => (compose.origins[String(p[1])] ?? compose).positions.locate(p);
  // Without names, only the services of the active profiles start (compose's rule); named ones always do.
  const order = startOrder(compose.services, services.length > 0 ? services : activeServiceNames(compose), locate, note);
  // Every service's replica count (and what its dependents wait for) is checked before anything starts.
  const hookOptions = { locate, output: (line: string) => process.stderr.write(`${line}\n`) };
  const inputs = new Map(order.map((service) => [service, selectService(compose, service).input.service]));
  const waits = waitConditions(order, (s) => (inputs.get(s) as { depends_on?: Record<string, DependsOn> }).depends_on, locate);
  const plan = order.map((service) => {
    const input = inputs.get(service)!;
    return { service, ids: replicaIds(compose.name, service, input, locate), preStart: (input as { pre_start?: readonly ServiceHook[] }).pre_start ?? [] };
  });
  // --wait: the containers of this up that have a healthcheck, waited for once all are started (as compose does).
  const toWatch: ContainerRecord[] = [];
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
      const wait = waits.get(service);
      for (const [index, id] of ids.entries()) {
        const existing = readRecord(id, runRoot());
        const state = existing ? queryState(existing) : undefined;
        if (state && state.status !== 'stopped') {
          process.stdout.write(`${id} already ${state.status}\n`);
          if (wait?.completed.length) {
            throw new CtnrError('RUNTIME_FAILED', `${id} is still running from an earlier up, and ${wait.completed.join(', ')} wait for it to complete (service_completed_successfully): ctnr up judges only a run it watches (ctnr down ${service}, then up again)`);
          }
          if (wait?.healthy.length) await becomeHealthy(existing!, wait, locate);
          else if (opts.wait) toWatch.push(existing!);
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
          if (wait?.completed.length) {
            progress.step(`${label}: running to its end (${wait.completed.join(', ')} wait for it) with ${runtime.name}`);
            const status = await runToCompletion({ ...record, log: record.log! });
            if (status !== 0) {
              const out = readFileSync(record.log!, 'utf8').trimEnd().split('\n').slice(-5).filter(Boolean);
              throw new CtnrError('RUNTIME_FAILED', `${id} exited with status ${status}, and ${wait.completed.join(', ')} need it to complete successfully (service_completed_successfully)`, out.length > 0 ? { details: out } : {});
            }
            process.stdout.write(`${id} completed\n`);
            continue;
          }
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
        if (wait?.healthy.length) await becomeHealthy(started, wait, locate);
        else if (opts.wait) toWatch.push(started);
      }
    }
    // The timeout counts from here, once everything is started (pulls and unpacks before do not eat it).
    const deadline = waitMs !== undefined ? Date.now() + waitMs : undefined;
    for (const rec of toWatch) {
      const hc = bundleHealthcheck(rec.bundle);
      if (hc === undefined) continue;
      const progress = createProgress();
      progress.step(`${rec.id}: waiting to be healthy (--wait)`);
      try {
        await waitHealthy(rec, hc, { progress: (line) => progress.step(`${rec.id}: ${line}`), ...(deadline !== undefined ? { deadline } : {}) });
      } finally {
        progress.done();
      }
      process.stdout.write(`${rec.id} healthy\n`);
    }
  });
}

/** `--wait-timeout SECONDS` in ms; only with `--wait`. */
function waitTimeoutMs(opts: { wait?: boolean; waitTimeout?: string }): number | undefined {
  if (opts.waitTimeout === undefined) return undefined;
  const seconds = Number(opts.waitTimeout);
  if (!opts.wait) throw new CtnrError('USAGE', '--wait-timeout needs --wait');
  if (!(opts.waitTimeout.trim() !== '' && Number.isFinite(seconds) && seconds > 0)) {
    throw new CtnrError('USAGE', `--wait-timeout: "${opts.waitTimeout}" is not a number of seconds above 0`);
  }
  return seconds * 1000;
}

/**
 * Wait for a container its dependents need healthy (`service_healthy`), showing the probes that fail; an error
 * names the dependents (located at the first one's depends_on entry) when it has no healthcheck, turns
 * unhealthy or stops.
 */
async function becomeHealthy(rec: ContainerRecord, wait: WaitFor, locate: (p: Array<string | number>) => SourceLocation | undefined): Promise<void> {
  const at = ['services', wait.healthy[0]!, 'depends_on', rec.service];
  const where = () => {
    const location = locate(at);
    return location ? { path: at, location } : { path: at };
  };
  const hc = bundleHealthcheck(rec.bundle);
  if (hc === undefined) {
    throw new CtnrError('SERVICE_INVALID', `${wait.healthy.join(', ')} wait for ${rec.service} to be healthy (service_healthy), but ${rec.service} has no healthcheck (healthcheck: in the service, or HEALTHCHECK in its image)`, where());
  }
  const progress = createProgress();
  progress.step(`${rec.id}: waiting to be healthy (${wait.healthy.join(', ')} wait for it)`);
  try {
    await waitHealthy(rec, hc, { progress: (line) => progress.step(`${rec.id}: ${line}`) });
  } catch (err) {
    if (isCtnrError(err)) err.details = [...(err.details ?? []), `${wait.healthy.join(', ')} not started (service_healthy)`];
    throw err;
  } finally {
    progress.done();
  }
  process.stdout.write(`${rec.id} healthy\n`);
}
