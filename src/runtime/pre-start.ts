import path from 'node:path';
import { CtnrError, type SourceLocation } from '../engine/errors.js';
import type { ServiceHook } from '../engine/service.js';
import type { LoadedProject } from '../project.js';
import { prepareContainer, type PrepareOptions } from './launch.js';
import { cleanupContainer } from './run.js';
import { writeRecord, type ContainerRecord } from './state.js';
import { outputTail, runCollecting } from './hook-output.js';

/**
 * `pre_start`: each hook runs, in order, in a one-off container of its own made from the service (as compose's
 * runPreStart: the service's image, volumes and network, its environment with the hook's over it, the hook's
 * command, user, working_dir and privileged, the image's entrypoint), to completion, before the service's
 * container starts. The first that fails stops the rest and the service. Every hook container is removed (its
 * runtime state, record and bundle), whether it succeeded or not.
 */

/** Keys of the service a hook container does not take: what it publishes, restarts or hooks itself. */
const DROPPED = ['ports', 'pre_start', 'post_start', 'pre_stop', 'container_name', 'entrypoint', 'healthcheck', 'restart'] as const;

/** A raw `environment:` (list of KEY=VALUE / KEY, or a map) as ordered entries. */
function envEntries(raw: unknown): Array<[string, unknown]> {
  if (Array.isArray(raw)) {
    return raw.map((e): [string, unknown] => {
      const s = String(e);
      const eq = s.indexOf('=');
      return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
    });
  }
  if (raw && typeof raw === 'object') return Object.entries(raw as Record<string, unknown>);
  return [];
}

/**
 * The raw service a pre_start hook runs as: `command` is the hook's; `user`, `working_dir` and `privileged` are
 * the hook's, or the image's defaults when it has none (compose sets only the hook's); the hook's `environment`
 * goes over the service's (a later key wins; KEY alone takes the compose variable); ports, hooks, entrypoint,
 * container_name, healthcheck and restart are dropped; the hook's `image` replaces the service's (and its
 * build); the rest (image, volumes, networks, …) is the service's.
 */
export function preStartService(raw: Readonly<Record<string, unknown>>, hook: ServiceHook): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const k of DROPPED) delete out[k];
  out.command = [...hook.command];
  // compose: the hook's image when it names one (then the service's build is not the hook's).
  if (hook.image !== undefined) {
    out.image = hook.image;
    delete out.build;
  }
  for (const k of ['user', 'working_dir', 'privileged'] as const) {
    if (hook[k] !== undefined) out[k] = hook[k];
    else delete out[k];
  }
  const env = new Map<string, unknown>(envEntries(raw.environment));
  for (const [k, v] of hook.environment ?? []) {
    env.delete(k);
    env.set(k, v);
  }
  if (env.size > 0) out.environment = Object.fromEntries(env);
  else delete out.environment;
  return out;
}

/** The id of a service's i-th pre_start hook container. */
export function preStartId(project: string, service: string, index: number): string {
  return `${project}-${service}-pre-start-${index}`;
}

export interface PreStartOptions extends Pick<PrepareOptions, 'runtime' | 'rootfs' | 'image' | 'env' | 'progress' | 'warn'> {
  /** Where `services.<service>.pre_start[i]` is written (the error's location). */
  locate?: (path: Array<string | number>) => SourceLocation | undefined;
  /** Each line a hook prints (prefixed with its container), for the user. */
  output?: (line: string) => void;
}

/** Run `service`'s pre_start hooks (`hooks`, validated) one after the other; throws on the first failure. */
export async function runPreStartHooks(project: LoadedProject, service: string, hooks: readonly ServiceHook[], opts: PreStartOptions): Promise<void> {
  const compose = project.compose;
  const raw = compose.services[service];
  if (!raw) return;
  for (const [i, hook] of hooks.entries()) {
    const id = preStartId(compose.name, service, i);
    const derived: LoadedProject = { ...project, compose: { ...compose, services: { ...compose.services, [service]: preStartService(raw, hook) } } };
    const at = ['services', service, 'pre_start', i];
    const location = opts.locate?.(at);
    const where = location ? { path: at, location } : { path: at };
    let record: ContainerRecord | undefined;
    let r;
    try {
      ({ record } = await prepareContainer(derived, service, {
        runtime: opts.runtime,
        id,
        detached: false,
        removeBundle: true,
        ...(opts.rootfs ? { rootfs: opts.rootfs } : {}),
        ...(opts.image ? { image: opts.image } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.progress ? { progress: opts.progress } : {}),
        ...(opts.warn ? { warn: opts.warn } : {}),
      }));
      writeRecord(record, path.dirname(record.root));
      r = await runCollecting(record.runtime.path, ['--root', record.root, 'run', '--bundle', record.bundle, record.id], (line) => opts.output?.(`${id}: ${line}`));
    } finally {
      if (record) await cleanupContainer(record, opts.warn);
    }
    if (r.status === 0) continue;
    const how = r.error ? `could not run: ${r.error.message}` : r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
    const out = outputTail(r.stderr) || outputTail(r.stdout);
    throw new CtnrError('RUNTIME_FAILED', `pre_start hook of ${compose.name}-${service} (${id}) ${how}${out ? `: ${out}` : ''}`, where);
  }
}
