import path from 'node:path';
import { createBundle } from '../../bundle/create.js';
import { listBundles, removeBundle, resolveBundle, type StoredBundle } from '../../bundle/store.js';
import { CtnrError, didYouMean } from '../../engine/errors.js';
import type { LoadedProject } from '../../project.js';
import { open, type CommonOptions } from './common.js';
import { createProgress } from '../../runtime/progress.js';
import { listRecords, queryState } from '../../runtime/state.js';
import { printDiagnostics } from '../output.js';
import { table } from '../format.js';
import type { Diagnostic } from '../../engine/types.js';
import { forEachService, reportFailureCount, selectServices } from './batch.js';
import { configuredDataDir, type DataDirOptions } from './data-dir.js';
import { buildBeforeStart, type BuildFlag } from './build.js';

export type BundleSourceOptions = CommonOptions;

/**
 * Load the compose file and config for commands that create bundles (run, up, bundle create): the same
 * options as spec (profiles, env file, presets, image config, init path) plus the data dir.
 */
export async function openForBundles(opts: BundleSourceOptions, services?: readonly string[]): Promise<LoadedProject> {
  return open(opts, services);
}

export type BundleCreateOptions = BundleSourceOptions & BuildFlag & { force?: boolean; all?: boolean };

/**
 * `bundle create SERVICE [DIR]`, or a batch: `bundle create --all` / `bundle create SERVICE SERVICE…`, one
 * bundle per service in its default directory, the compose file parsed and the engine built once. The last
 * argument is a bundle directory when it names no service of the file (so `SERVICE DIR` reads as before); a
 * directory with more than one service is a usage error.
 */
export async function bundleCreateCommand(args: string[], opts: BundleCreateOptions): Promise<void> {
  if (opts.all && args.length > 0) {
    throw new CtnrError('USAGE', `bundle create --all takes no service names or bundle directory (each bundle goes to its default directory under the data dir)`);
  }
  const project = await openForBundles(opts, opts.all ? undefined : args);
  let services = args;
  let dir: string | undefined;
  const last = args.at(-1);
  if (args.length >= 2 && last !== undefined && !Object.hasOwn(project.compose.services, last)) {
    if (args.length > 2) {
      const all = Object.keys(project.compose.services);
      throw new CtnrError('USAGE', `bundle create: "${last}" is no service of ${project.compose.displayFile}${didYouMean(last, all)}, and a bundle directory takes exactly one service`);
    }
    services = args.slice(0, 1);
    dir = last;
  }
  if (!opts.all && services.length === 1) {
    if (Object.hasOwn(project.compose.services, services[0]!)) await buildBeforeStart(project, services, opts, undefined);
    return createOne(project, services[0]!, dir, opts, printDiagnostics);
  }
  const selected = selectServices(project, services);
  await buildBeforeStart(project, selected, opts, undefined);
  const failed = await forEachService(project, selected, (service, print) => createOne(project, service, undefined, opts, print));
  reportFailureCount(failed, selected.length);
  if (failed > 0) process.exitCode = 1;
}

async function createOne(project: LoadedProject, service: string, dir: string | undefined, opts: BundleCreateOptions, print: (d: readonly Diagnostic[]) => void): Promise<void> {
  const progress = createProgress();
  try {
    const created = await createBundle(project, service, {
      ...(dir ? { dir } : {}),
      ...(opts.rootfs ? { rootfs: opts.rootfs } : {}),
      ...(opts.image ? { image: opts.image } : {}),
      force: Boolean(opts.force),
      progress: (s) => progress.step(s),
    });
    progress.done();
    print(created.run.diagnostics);
    process.stdout.write(created.dir + '\n');
  } finally {
    progress.done();
  }
}


/** `bundle list --all`'s STATE of a bundle or a temporary directory. */
function stateOf(b: StoredBundle, names: ReadonlySet<string>): string {
  const t = b.temporary;
  if (!t) return 'ready';
  if (t.alive) return t.kind === 'tmp' ? `in progress (pid ${t.pid})` : `being replaced (pid ${t.pid})`;
  return t.kind === 'old' && !names.has(t.bundle) ? `stale (pid ${t.pid} is gone), restored as ${t.bundle} on the next write` : `stale (pid ${t.pid} is gone)`;
}

export async function bundleListCommand(opts: DataDirOptions & { json?: boolean; all?: boolean }): Promise<void> {
  const bundles = listBundles((await configuredDataDir(opts)).dataDir, { all: Boolean(opts.all) });
  if (opts.json) {
    process.stdout.write(JSON.stringify(bundles, null, 2) + '\n');
    return;
  }
  const names = new Set(bundles.filter((b) => !b.temporary).map((b) => b.name));
  const rows = [['NAME', 'PROJECT', 'SERVICE', 'DIGEST', ...(opts.all ? ['STATE'] : []), 'DIR']];
  for (const b of bundles) {
    rows.push([b.name, b.metadata?.project ?? '-', b.metadata?.service ?? '-', b.metadata?.inputDigest.slice(7, 19) ?? '-', ...(opts.all ? [stateOf(b, names)] : []), b.dir]);
  }
  process.stdout.write(table(rows));
}

export async function bundleRmCommand(names: string[], opts: DataDirOptions & { force?: boolean }): Promise<void> {
  const { dataDir } = await configuredDataDir(opts);
  const dirs = names.map((n) => resolveBundle(dataDir, n));
  // A running container keeps using its bundle (rootfs, mounted files): refuse unless --force.
  const busy = listRecords().filter((r) => dirs.includes(path.resolve(r.bundle)) && queryState(r)?.status === 'running');
  if (busy.length > 0 && !opts.force) {
    throw new CtnrError('USAGE', `bundle in use by running container ${busy.map((b) => b.id).join(', ')} (ctnr down first, or --force)`);
  }
  for (const d of dirs) {
    removeBundle(d);
    process.stdout.write(d + '\n');
  }
}

