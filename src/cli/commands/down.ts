import path from 'node:path';
import { loadConfig } from '../../config/load.js';
import { createEnv } from '../../linux/env.js';
import { CtnrError, formatError } from '../../engine/errors.js';
import { runLifecycleHooks } from '../../runtime/lifecycle.js';
import { releaseEndpoints } from '../../network/hook.js';
import { bundlesDir } from '../../bundle/store.js';
import { removeEmptyCgroups } from '../../runtime/leftovers.js';
import { startOrder } from '../../runtime/order.js';
import { stopContainer } from '../../runtime/run.js';
import { listRecords, queryState, runRoot } from '../../runtime/state.js';
import { execJudge } from './exec-policy.js';
import { removeProjectVolumes } from './down-volumes.js';
import { lockProject, note } from './notes.js';
import { loadProjectFile, type ProjectFileOptions } from './project-file.js';
import { secondsOption } from '../options.js';

export interface DownOptions extends ProjectFileOptions {
  config?: string;
  /** `--preset`, as `up` had them: their policy judges the pre_stop hooks too. */
  preset?: string[];
  dataDir?: string;
  /** commander's `--no-hooks`: false skips pre_stop hooks. */
  hooks?: boolean;
  /** `-t SECONDS`: the grace period after the stop signal, over each container's stop_grace_period. */
  timeout?: string;
  /** `-v`: then remove the named volumes the file declares (./down-volumes.ts). */
  volumes?: boolean;
}

/** --data-dir, else the config's dataDir (relative to the config file), else the default. */
async function dataDirOf(composeDir: string, opts: DownOptions): Promise<string> {
  if (opts.dataDir) return path.resolve(opts.dataDir);
  const config = await loadConfig(composeDir, opts.config);
  const configDir = path.dirname(config.file ?? path.join(composeDir, 'compose.yaml'));
  return createEnv(config.config.dataDir ? { dataDir: path.resolve(configDir, config.config.dataDir) } : {}).dataDir;
}

/**
 * Stop and remove the containers `up` and `run -d` started for this compose file's project (only the named
 * services when given), dependents before their dependencies, and remove their bundles. Then release every
 * network endpoint the network state still records for the project (as podman's cleanup does): a runtime or a
 * ctnr killed while starting a container leaves them with no container or record to find them by. `-v`: then the
 * named volumes the file declares.
 */
export async function downCommand(services: string[], opts: DownOptions): Promise<void> {
  const graceNs = graceOf(opts.timeout);
  if (opts.volumes && services.length > 0) throw new CtnrError('USAGE', 'down -v removes the volumes of the whole project: run it without service names');
  const compose = loadProjectFile(opts);
  // Stopping needs no valid references: a service naming one that is gone must not keep the others running.
  let order: string[];
  try {
    order = startOrder(compose.services, []);
  } catch {
    order = Object.keys(compose.services);
  }
  const rank = (s: string) => {
    const i = order.indexOf(s);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const wanted = (service: string) => services.length === 0 || services.includes(service);
  const dataDir = await dataDirOf(compose.dir, opts);
  await lockProject(compose.name, async () => {
    const records = listRecords(runRoot())
      .filter((r) => r.project === compose.name && wanted(r.service))
      // Reverse start order; containers of services no longer in the file go first.
      .sort((a, b) => rank(b.service) - rank(a.service) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // pre_stop hooks run in a running container before it is stopped; one that fails keeps that container running
    // (compose's rule: the hook may guard data) and down reports it at the end.
    const kept = new Set<string>();
    const hookErrors: string[] = [];
    const locate = (p: Array<string | number>) => (compose.origins[String(p[1])] ?? compose).positions.locate(p);
    // pre_stop hooks are held to the project's policy, as `ctnr exec` is (the config is read on the first one).
    const judge = execJudge(compose.dir, () => loadConfig(compose.dir, opts.config), opts.preset ?? []);
    for (const rec of records) {
      if (opts.hooks !== false && queryState(rec)?.status === 'running') {
        try {
          await runLifecycleHooks(rec, 'pre_stop', { locate, output: (line) => process.stderr.write(`${line}\n`), judge });
        } catch (err) {
          kept.add(rec.id);
          hookErrors.push(`${formatError(err)} (${rec.id} keeps running; ctnr down --no-hooks stops it without its hooks)`);
          continue;
        }
      }
      await stopContainer(graceNs === undefined ? rec : { ...rec, stopGracePeriodNs: graceNs }, note);
      process.stdout.write(`${rec.id} removed\n`);
    }
    // Every container of the project ctnr knows about is gone now (and none starts: we hold the lock), so what
    // the network state still lists for it is left over. Records name their data dir; the config names the rest.
    const errors: string[] = [];
    for (const dir of new Set([dataDir, ...records.flatMap((r) => (r.dataDir ? [r.dataDir] : []))])) {
      const released = releaseEndpoints(dir, (ep) => ep.project === compose.name && wanted(ep.service) && !kept.has(ep.id), { warn: note });
      errors.push(...released.errors);
      for (const id of released.ids) {
        removeEmptyCgroups(id, path.join(bundlesDir(dir), id));
        process.stdout.write(`${id} network released\n`);
      }
    }
    if (opts.volumes) {
      // A volume a kept container (a failed pre_stop hook) still uses stays: it is running.
      const { removed, notes } = await removeProjectVolumes(compose, dataDir);
      for (const name of removed) process.stdout.write(`volume ${name} removed\n`);
      for (const n of notes) note(n);
    }
    if (hookErrors.length > 0) {
      throw new CtnrError('RUNTIME_FAILED', `pre_stop hooks failed: ${kept.size} container(s) of project ${compose.name} keep running`, { details: [...hookErrors, ...errors] });
    }
    if (errors.length > 0) throw new CtnrError('RUNTIME_FAILED', `releasing the network of project ${compose.name} left errors`, { details: errors });
  });
}

/** `-t SECONDS` (0 or more; compose's `down --timeout`) in ns. */
function graceOf(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Math.round(secondsOption('-t', text, false) * 1e9);
}
