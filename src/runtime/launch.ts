import path from 'node:path';
import { createBundle, type CreatedBundle } from '../bundle/create.js';
import { bundlesDir } from '../bundle/store.js';
import { STOP_GRACE_PERIOD_ANNOTATION } from '../spec/annotations.js';
import { CtnrError } from '../engine/errors.js';
import type { Env } from '../engine/types.js';
import type { LoadedProject } from '../project.js';
import { cleanupContainer, DEFAULT_STOP_GRACE_NS, stopSignalOf } from './run.js';
import { ociVersionFor, type Runtime } from './select.js';
import { OCI_VERSION } from '../spec/version.js';
import { mountShm } from './shm.js';
import { VOLUME_PLUGINS } from '../../plugins/mounts/volumes-from.js';
import type { Mount } from '../spec/types.js';
import type { TraceEntry } from '../engine/types.js';
import { containerStatus, readRecord, runRoot, runtimeRoot, type ContainerRecord } from './state.js';

export interface PrepareOptions {
  runtime: Runtime;
  /** Container id; default `<project>-<service>`. Also the bundle's name under the data dir. */
  id?: string;
  rootfs?: string;
  image?: string;
  /** Replaces the service's command. */
  command?: readonly string[];
  detached: boolean;
  removeBundle: boolean;
  progress?: (step: string) => void;
  warn?: (message: string) => void;
  /** Values for this container's pipeline on top of the project's (`containers`, `containerPids`; `containerId` is set here). */
  env?: Partial<Env>;
  /** Its number among the service's replicas, when there are several. */
  replica?: number;
}

/** `io.ctnr.stop-grace-period` (decimal ns, written by the annotations stage), when present and valid. */
function gracePeriodOf(spec: { annotations?: Record<string, string> }): number | undefined {
  const raw = spec.annotations?.[STOP_GRACE_PERIOD_ANNOTATION];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/**
 * The container's volumes and binds (what `volumes_from` shares): the final spec's bind mounts at the destinations
 * the volume plugins wrote (their own, image VOLUMEs, and what it got through volumes_from itself), sources made
 * absolute (anonymous volumes live in the bundle).
 */
export function volumeMounts(mounts: readonly Mount[], trace: readonly TraceEntry[], bundleDir: string): Mount[] {
  const dests = new Set<string>();
  for (const t of trace) {
    if (!VOLUME_PLUGINS.includes(t.plugin) || !t.pointer.startsWith('/mounts') || (t.op.op !== 'add' && t.op.op !== 'replace')) continue;
    const value = (t.op as { value?: unknown }).value;
    for (const m of Array.isArray(value) ? value : [value]) {
      if (m && typeof m === 'object' && typeof (m as Mount).destination === 'string') dests.add(path.posix.normalize((m as Mount).destination));
    }
  }
  return mounts
    .filter((m) => dests.has(path.posix.normalize(m.destination)) && m.type !== 'tmpfs' && m.source !== undefined)
    .map((m) => ({ ...m, source: path.resolve(bundleDir, m.source!), ...(m.options ? { options: [...m.options] } : {}) }));
}

/** The host directory bound at /dev/shm, when it is one. */
function shmSource(spec: { mounts?: ReadonlyArray<{ destination: string; type?: string; source?: string; options?: readonly string[] }> }): string | undefined {
  const m = [...(spec.mounts ?? [])].reverse().find((x) => path.posix.normalize(x.destination) === '/dev/shm');
  const bind = m?.type === 'bind' || (m?.options ?? []).some((o) => o === 'bind' || o === 'rbind');
  return bind && m?.source !== undefined && path.isAbsolute(m.source) ? m.source : undefined;
}

/** Container ids runc and crun accept. */
const ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/**
 * Whether container id `id` can be (re)used: a valid id, and no container of it still running (an error saying so);
 * returns the record of a stopped one, which must be cleaned up first.
 */
export function idUsable(id: string): ContainerRecord | undefined {
  if (!ID.test(id)) throw new CtnrError('USAGE', `"${id}" is not a valid container id (letters, digits, _ . + -)`);
  const previous = readRecord(id, runRoot());
  if (previous) {
    const status = containerStatus(previous);
    if (status && status !== 'stopped') {
      throw new CtnrError('RUNTIME_FAILED', `container ${id} is already ${status} (stop it with ctnr down, or pick another --name)`);
    }
  }
  return previous;
}

/**
 * Generate a fresh bundle for `service` under `<dataDir>/bundles/<id>` and describe the container to start.
 * A container with the same id that still runs is an error; a stopped one is cleaned up first (its bundle is
 * replaced: `run` and `up` always start from the current compose file).
 */
export async function prepareContainer(project: LoadedProject, service: string, opts: PrepareOptions): Promise<{ record: ContainerRecord; bundle: CreatedBundle }> {
  const id = opts.id ?? `${project.compose.name}-${service}`;
  const previous = idUsable(id);
  if (previous) await cleanupContainer({ ...previous, removeBundle: false }, opts.warn);
  const dir = path.join(bundlesDir(project.env.dataDir), id);
  const version = ociVersionFor(opts.runtime, OCI_VERSION);
  if (version !== undefined && project.env.ociVersion === undefined) project.env.ociVersion = version;
  // This container's own view of the environment: its id (cgroups path, a replica's hostname) and the other
  // containers it may refer to.
  const own: LoadedProject = { ...project, env: { ...project.env, ...opts.env, containerId: id } };
  const bundle = await createBundle(own, service, {
    dir,
    force: true,
    ...(opts.rootfs ? { rootfs: opts.rootfs } : {}),
    ...(opts.image ? { image: opts.image } : {}),
    ...(opts.command?.length ? { command: opts.command } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
  const record: ContainerRecord = {
    id,
    runtime: opts.runtime,
    root: runtimeRoot(opts.runtime, runRoot()),
    bundle: bundle.dir,
    service,
    project: project.compose.name,
    detached: opts.detached,
    removeBundle: opts.removeBundle,
    stopSignal: stopSignalOf(bundle.spec, opts.warn),
    stopGracePeriodNs: gracePeriodOf(bundle.spec) ?? bundle.metadata.stopGracePeriodNs ?? DEFAULT_STOP_GRACE_NS,
    ...(opts.detached ? { log: path.join(bundle.dir, 'ctnr.log') } : {}),
    dataDir: project.env.dataDir,
  };
  if (opts.replica !== undefined) record.replica = opts.replica;
  const ipc = (bundle.run.input.service as { ipc?: unknown }).ipc;
  record.ipc = typeof ipc === 'string' ? ipc.trim() : '';
  // Its /dev/shm on the host: its own (ipc: shareable, mounted now), or the one it binds (another's, or a host
  // directory): a container joining its IPC namespace binds it too.
  const shm = mountShm(bundle.dir) ?? shmSource(bundle.spec);
  if (shm !== undefined) record.shm = shm;
  const mounts = volumeMounts(bundle.spec.mounts ?? [], bundle.run.result.trace, bundle.dir);
  if (mounts.length > 0) record.mounts = mounts;
  return { record, bundle };
}
