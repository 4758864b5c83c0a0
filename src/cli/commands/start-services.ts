import { readFileSync } from 'node:fs';
import { serviceHashOf } from '../../bundle/create.js';
import { readMetadata } from '../../bundle/metadata.js';
import { ImageStore } from '../../image/store.js';
import { selectService } from '../../compose/select.js';
import { CtnrError, formatError, isCtnrError, type SourceLocation } from '../../engine/errors.js';
import type { DependsOn, ServiceHook } from '../../engine/service.js';
import type { LoadedProject } from '../../project.js';
import { knownContainers } from '../../runtime/facts.js';
import { bundleHealthcheck, waitHealthy } from '../../runtime/health.js';
import { judgeLifecycleHooks, runLifecycleHooks, type HookRunOptions } from '../../runtime/lifecycle.js';
import { prepareContainer } from '../../runtime/launch.js';
import { dependencyRefs, waitConditions, type WaitFor } from '../../runtime/order.js';
import { runPreStartHooks } from '../../runtime/pre-start.js';
import { createProgress } from '../../runtime/progress.js';
import { cleanupContainer, runToCompletion, startDetached, stopContainer } from '../../runtime/run.js';
import { logRecordFields } from '../../runtime/log-policy.js';
import { startKeysOf, type StartKeys } from '../../runtime/start-keys.js';
import { selectRuntime, type Runtime } from '../../runtime/select.js';
import { containerStatus, listRecords, queryState, readRecord, runRoot, type ContainerRecord } from '../../runtime/state.js';
import { printDiagnostics } from '../output.js';
import type { BundleSourceOptions } from './bundle.js';
import type { ExecJudge } from './exec-policy.js';
import { note } from './notes.js';

type Locate = (p: Array<string | number>) => SourceLocation | undefined;

/**
 * Before a prepared container starts: its post_start and pre_stop hooks judged by the project's policy. A refused
 * hook starts nothing, and what preparing set up is released as after a failed start (the bundle too when it was
 * made for this start only).
 */
export async function judgeHooksBeforeStart(record: ContainerRecord, hookOptions: HookRunOptions): Promise<void> {
  try {
    await judgeLifecycleHooks(record, hookOptions);
  } catch (err) {
    await cleanupContainer(record, note);
    if (isCtnrError(err)) err.details = [...(err.details ?? []), `${record.id} was not started`];
    throw err;
  }
}

/** What starting services needs: the project, the runtime, where bundles come from, and where to report. */
export interface StartContext {
  project: LoadedProject;
  runtime: Runtime;
  source: Pick<BundleSourceOptions, 'rootfs' | 'image'>;
  locate: Locate;
  /** One line per container: `<id> started`, `healthy`, `completed`, `removed`, `already running` (up: stdout). */
  say: (line: string) => void;
  /** The project's policy over `post_start`/`pre_stop` hook processes (see exec-policy.ts). */
  judge?: ExecJudge;
  /** Leave a service's containers other than its replicas' (`ctnr run` starting dependencies); up removes them. */
  keepOthers?: boolean;
  /**
   * A running container whose service changed (see recreateReason): `changed` (up's default) replaces it, `always`
   * replaces every running one (`--force-recreate`), `never` (the default here: `ctnr run`'s dependencies, `up
   * --no-recreate`) keeps it.
   */
  recreate?: 'changed' | 'always' | 'never';
}

/** A container this start left running that nobody waited for, and whether it ran before it. */
export interface Started {
  rec: ContainerRecord;
  running: boolean;
}

export interface StartPlan {
  order: readonly string[];
  /** What each service's dependents (in `order`, or `extra`) wait for (depends_on conditions). */
  waits: Map<string, WaitFor>;
  replicas: ReadonlyArray<StartKeys & { service: string; preStart: readonly ServiceHook[]; restartWith: ReadonlyArray<{ name: string; why: string }> }>;
}

/**
 * The plan for starting `order` (dependencies first), checked before anything starts: every service's replica
 * count, and the depends_on conditions among them; `dependents` are services that will start afterwards by other
 * means (`ctnr run`'s own service), whose conditions on `order` count too.
 */
export function planStart(project: LoadedProject, order: readonly string[], locate: Locate, dependents: readonly string[] = []): StartPlan {
  const compose = project.compose;
  const inputs = new Map([...order, ...dependents].map((service) => [service, selectService(compose, service).input.service]));
  const waits = waitConditions([...order, ...dependents], (s) => (inputs.get(s) as { depends_on?: Record<string, DependsOn> }).depends_on, locate);
  const replicas = order.map((service) => {
    const input = inputs.get(service)!;
    return {
      service,
      ...startKeysOf(compose.name, service, input, locate),
      preStart: (input as { pre_start?: readonly ServiceHook[] }).pre_start ?? [],
      restartWith: followsReplacement(input),
    };
  });
  return { order, waits, replicas };
}

/** The runtime a service's containers run under: the one its `runtime:` names, else the command's. */
export function runtimeOfService(commandRuntime: Runtime, own: 'runc' | 'crun' | undefined): Runtime {
  if (own === undefined || own === commandRuntime.name) return commandRuntime;
  const { runtime, note: hint } = selectRuntime({ choice: own });
  if (hint) note(hint);
  return runtime;
}

/**
 * Start the plan's services in order, detached, holding no lock of its own (the caller holds the project's). A
 * service runs its replicas; containers of it beyond them (scaled down, or named for another count) are stopped and
 * removed first (unless `keepOthers`); `pre_start` runs when none of its containers runs; a container already running stays. A service
 * its dependents need completed runs to its end; one they need healthy is waited for. Returns the containers
 * started or found running that nobody waited for (what `up --wait` waits for).
 */
export async function startServices(ctx: StartContext, plan: StartPlan): Promise<Started[]> {
  const { project, source, locate, say } = ctx;
  const compose = project.compose;
  const hookOptions = { locate, output: (line: string) => process.stderr.write(`${line}\n`), ...(ctx.judge ? { judge: ctx.judge } : {}) };
  const unwatched: Started[] = [];
  /** Services a running container of which this start replaced (their dependents with depends_on.restart follow). */
  const replaced = new Set<string>();
  for (const { service, ids, preStart, restart, logging, runtime: own, restartWith } of plan.replicas) {
    let printed = false;
    const logFields = logRecordFields(logging.policy);
    const runtime = runtimeOfService(ctx.runtime, own);
    const others = ctx.keepOthers ? [] : listRecords(runRoot()).filter((r) => r.project === compose.name && r.service === service && !ids.includes(r.id));
    for (const rec of others) {
      if (queryState(rec)?.status === 'running') await runLifecycleHooks(rec, 'pre_stop', hookOptions);
      await stopContainer(rec, note);
      say(`${rec.id} removed`);
    }
    // pre_start, as compose: once for the service, only when none of its containers runs (each hook in a
    // container of its own, removed afterwards); a failure stops before the service starts.
    const running = ids.some((id) => {
      const rec = readRecord(id, runRoot());
      const st = rec ? containerStatus(rec) : undefined;
      return st !== undefined && st !== 'stopped';
    });
    if (preStart.length > 0 && !running) {
      const progress = createProgress();
      try {
        const known = knownContainers(compose.name);
        await runPreStartHooks(project, service, preStart, {
          runtime,
          env: { containerPids: known.pids, containers: known.containers },
          ...(source.rootfs ? { rootfs: source.rootfs } : {}),
          ...(source.image ? { image: source.image } : {}),
          progress: (s) => progress.step(`${service} pre_start: ${s}`),
          warn: note,
          ...hookOptions,
        });
      } finally {
        progress.done();
      }
    }
    const wait = plan.waits.get(service);
    for (const [index, id] of ids.entries()) {
      const existing = readRecord(id, runRoot());
      const status = existing ? containerStatus(existing) : undefined;
      const mode = ctx.recreate ?? 'never';
      const after = mode === 'changed' ? restartWith.find((d) => replaced.has(d.name)) : undefined;
      const replace = status && status !== 'stopped' ? (recreateReason(existing!, project, service, source, mode) ?? (after !== undefined ? `${after.name} was replaced, and ${after.why}` : undefined)) : undefined;
      if (replace) {
        replaced.add(service);
        // As compose: the old container goes first (its pre_stop hooks, a graceful stop), then the new one is made.
        if (queryState(existing!)?.status === 'running') await runLifecycleHooks(existing!, 'pre_stop', hookOptions);
        await stopContainer(existing!, note);
        say(`${id} removed (${replace})`);
      } else if (status && status !== 'stopped') {
        say(`${id} already ${status}`);
        if (wait?.completed.length) {
          throw new CtnrError('RUNTIME_FAILED', `${id} is still running from an earlier up, and ${wait.completed.join(', ')} wait for it to complete (service_completed_successfully): ctnr judges only a run it watches (ctnr down ${service}, then again)`);
        }
        if (wait?.healthy.length) await becomeHealthy(existing!, wait, locate, say, true);
        else unwatched.push({ rec: existing!, running: true });
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
          ...(source.rootfs ? { rootfs: source.rootfs } : {}),
          ...(source.image ? { image: source.image } : {}),
          detached: true,
          removeBundle: true,
          progress: (s) => progress.step(`${label}: ${s}`),
          warn: note,
        });
        progress.done();
        // Once per service: its replicas have the same warnings.
        if (!printed) {
          printDiagnostics(bundle.run.diagnostics);
          for (const w of logging.warnings) note(`${service}: ${w}`);
        }
        printed = true;
        await judgeHooksBeforeStart(record, hookOptions);
        if (wait?.completed.length) {
          progress.step(`${label}: running to its end (${wait.completed.join(', ')} wait for it) with ${runtime.name}`);
          const status = await runToCompletion({ ...record, log: record.log!, ...logFields });
          if (status !== 0) {
            const out = logFields.logDriver === 'none' ? [] : readFileSync(record.log!, 'utf8').trimEnd().split('\n').slice(-5).filter(Boolean);
            const message = `${id} ended with status ${status}, and ${wait.completed.join(', ')} wait for it to complete successfully (service_completed_successfully)`;
            if (wait.completedRequired) throw new CtnrError('RUNTIME_FAILED', message, out.length > 0 ? { details: out } : {});
            note(`${message}; they start anyway (required: false)`);
            continue;
          }
          say(`${id} completed`);
          continue;
        }
        progress.step(`${label}: starting with ${runtime.name}`);
        await startDetached({ ...record, log: record.log!, ...(restart ? { restart } : {}), ...logFields }, note);
        started = readRecord(id, runRoot()) ?? record;
      } finally {
        progress.done();
      }
      try {
        await runLifecycleHooks(started, 'post_start', hookOptions);
      } catch (err) {
        // As compose: the container keeps running, and starting stops here with the hook's failure.
        say(`${id} started`);
        if (isCtnrError(err)) err.details = [...(err.details ?? []), `${id} keeps running (ctnr down stops it)`];
        throw err;
      }
      say(`${id} started`);
      if (wait?.healthy.length) await becomeHealthy(started, wait, locate, say, false);
      else unwatched.push({ rec: started, running: false });
    }
  }
  return unwatched;
}

/**
 * The services whose replacement replaces a running container of this one too, as compose cascades it, and why:
 * `depends_on.<name>.restart: true`, and what binds the other container itself — `network_mode`, `ipc` or `pid`
 * `service:<name>` (its namespaces go with it: a network namespace loses its interface when the replaced container's
 * network is released), `volumes_from` (its anonymous volumes are in its bundle), `links` (its address in /etc/hosts).
 */
function followsReplacement(input: unknown): Array<{ name: string; why: string }> {
  const out: Array<{ name: string; why: string }> = [];
  for (const [name, d] of Object.entries((input as { depends_on?: Record<string, DependsOn> }).depends_on ?? {})) {
    if (d.restart === true) out.push({ name, why: `it has depends_on.${name}.restart` });
  }
  for (const ref of dependencyRefs(input)) {
    const key = String(ref.at[0]);
    if (key !== 'depends_on') out.push({ name: ref.name, why: key === 'links' || key === 'volumes_from' ? `its ${key} names it` : `its ${key} is service:${ref.name}` });
  }
  return out;
}

/**
 * Why a running container of `service` must be replaced, or undefined to keep it: with `changed`, when the service's
 * configuration differs from what the container was made from (its bundle's serviceHash: the service after
 * interpolation and env files, the config, the root filesystem choice) or its image is stored under another
 * manifest now (pulled or built again); with `always`, in any case. A bundle made before ctnr recorded the hash
 * counts as unchanged.
 */
export function recreateReason(rec: ContainerRecord, project: LoadedProject, service: string, source: Pick<BundleSourceOptions, 'rootfs' | 'image'>, mode: 'changed' | 'always' | 'never'): string | undefined {
  if (mode === 'never') return undefined;
  if (mode === 'always') return '--force-recreate';
  const made = readMetadata(rec.bundle);
  if (made?.serviceHash === undefined) return undefined;
  if (made.serviceHash !== serviceHashOf(project, service, source)) return 'its configuration changed';
  if (made.rootfs.kind === 'store') {
    const now = new ImageStore(project.env.dataDir).readRefs()[made.rootfs.reference]?.manifest;
    if (now !== undefined && now !== made.rootfs.manifest) return `its image ${made.rootfs.reference} changed`;
  }
  return undefined;
}

/**
 * Wait for a container its dependents need healthy (`service_healthy`), showing the probes that fail; an error
 * names the dependents (located at the first one's depends_on entry) when it has no healthcheck, turns
 * unhealthy or stops. When every dependent that waits says `required: false`, that is a note and they start anyway.
 */
async function becomeHealthy(rec: ContainerRecord, wait: WaitFor, locate: Locate, say: (line: string) => void, running: boolean): Promise<void> {
  const at = ['services', wait.healthy[0]!, 'depends_on', rec.service];
  try {
    if (!(await waitUntilHealthy(rec, `${wait.healthy.join(', ')} wait for it`, { running }))) {
      const location = locate(at);
      throw new CtnrError('SERVICE_INVALID', `${wait.healthy.join(', ')} wait for ${rec.service} to be healthy (service_healthy), but ${rec.service} has no healthcheck (healthcheck: in the service, or HEALTHCHECK in its image)`, location ? { path: at, location } : { path: at });
    }
  } catch (err) {
    if (!wait.healthyRequired && isCtnrError(err)) {
      note(`${formatError(err)}; ${wait.healthy.join(', ')} start anyway (required: false)`);
      return;
    }
    if (isCtnrError(err)) err.details = [...(err.details ?? []), `${wait.healthy.join(', ')} not started (service_healthy)`];
    throw err;
  }
  say(`${rec.id} healthy`);
}

/**
 * waitHealthy with a progress line (`why` says who waits) when the container's bundle has a healthcheck; false when
 * it has none.
 */
export async function waitUntilHealthy(rec: ContainerRecord, why: string, opts: { running?: boolean; deadline?: number } = {}): Promise<boolean> {
  const hc = bundleHealthcheck(rec.bundle);
  if (hc === undefined) return false;
  const progress = createProgress();
  progress.step(`${rec.id}: waiting to be healthy (${why})`);
  try {
    await waitHealthy(rec, hc, { progress: (line) => progress.step(`${rec.id}: ${line}`), ...opts });
  } finally {
    progress.done();
  }
  return true;
}
