import { activeServiceNames } from '../../compose/select.js';
import { CtnrError, formatError, isCtnrError } from '../../engine/errors.js';
import { queryState } from '../../runtime/state.js';
import { startOrder } from '../../runtime/order.js';
import { selectRuntime } from '../../runtime/select.js';
import { openForBundles, type BundleSourceOptions } from './bundle.js';
import { lockProject, note } from './notes.js';
import { execJudge } from './exec-policy.js';
import { secondsOption } from '../options.js';
import { planStart, startServices, waitUntilHealthy, type Started } from './start-services.js';
import { buildBeforeStart, type BuildFlag } from './build.js';

/**
 * Start the selected services (all by default) and their dependencies, detached, in dependency order, holding
 * the project's lock (a second `up` or a `down` waits for this one), waiting where a dependent's depends_on
 * condition asks (see startServices). A running container whose service or image changed since it was made is
 * replaced, as compose does (`--force-recreate`: every running one; `--no-recreate`: none). `--wait`: then each container of this up that has a healthcheck, until
 * healthy.
 */
export async function upCommand(services: string[], opts: BundleSourceOptions & BuildFlag & { runtime?: string; deps?: boolean; wait?: boolean; waitTimeout?: string; forceRecreate?: boolean; recreate?: boolean }): Promise<void> {
  const waitMs = waitTimeoutMs(opts);
  if (opts.forceRecreate && opts.recreate === false) throw new CtnrError('USAGE', '--force-recreate and --no-recreate exclude each other');
  const recreate = opts.forceRecreate ? 'always' : opts.recreate === false ? 'never' : 'changed';
  const { runtime, note: runtimeNote } = selectRuntime(opts.runtime ? { choice: opts.runtime } : {});
  if (runtimeNote) note(runtimeNote);
  const project = await openForBundles(opts, services);
  const compose = project.compose;
  const locate = (p: Array<string | number>) => (compose.origins[String(p[1])] ?? compose).positions.locate(p);
  // Without names, only the services of the active profiles start (compose's rule); named ones always do.
  const selected = services.length > 0 ? services : activeServiceNames(compose);
  // --no-deps: the named services alone, in their dependency order among themselves.
  const order = startOrder(compose.services, selected, locate, note).filter((s) => opts.deps !== false || selected.includes(s));
  const plan = planStart(project, order, locate);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  await lockProject(compose.name, async () => {
    // Images of services that build one, before anything starts (compose builds first, too).
    await buildBeforeStart(project, order, opts, runtime.path);
    const judge = execJudge(compose.dir, project.config, opts.preset ?? []);
    const unwatched = await startServices({ project, runtime, source: opts, locate, say, judge, recreate }, plan);
    if (opts.wait) await waitAll(unwatched, waitMs, say);
  });
}

/**
 * `--wait`, as compose: once everything is started, every container at once; one with a healthcheck until it is
 * healthy, one without until it runs (one that stopped fails). The timeout counts from here (pulls and unpacks
 * before do not eat it). All are waited for, and every failure reported.
 */
async function waitAll(started: readonly Started[], waitMs: number | undefined, say: (line: string) => void): Promise<void> {
  const deadline = waitMs !== undefined ? Date.now() + waitMs : undefined;
  const results = await Promise.allSettled(
    started.map(async ({ rec, running }) => {
      if (await waitUntilHealthy(rec, '--wait', { running, ...(deadline !== undefined ? { deadline } : {}) })) say(`${rec.id} healthy`);
      else if (queryState(rec)?.status !== 'running') throw new CtnrError('RUNTIME_FAILED', `${rec.id} is not running (it has no healthcheck, and --wait wants it running)`);
    }),
  );
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length === 0) return;
  const [first, ...rest] = failed;
  if (isCtnrError(first) && rest.length > 0) first.details = [...(first.details ?? []), ...rest.map((e) => formatError(e))];
  throw first;
}

/** `--wait-timeout SECONDS` in ms; only with `--wait`. */
function waitTimeoutMs(opts: { wait?: boolean; waitTimeout?: string }): number | undefined {
  if (opts.waitTimeout === undefined) return undefined;
  if (!opts.wait) throw new CtnrError('USAGE', '--wait-timeout needs --wait');
  return secondsOption('--wait-timeout', opts.waitTimeout, true) * 1000;
}
