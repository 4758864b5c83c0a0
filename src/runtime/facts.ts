import type { ContainerFacts } from '../engine/types.js';
import { listRecords, queryState, runRoot, type ContainerRecord } from './state.js';

export interface KnownContainers {
  /** Host pids of running containers, by id and (this project's) by service name: `env.containerPids`. */
  pids: Record<string, number>;
  /** Every container ctnr has a record of, by id and (this project's) by service name: `env.containers`. */
  containers: Record<string, ContainerFacts>;
}

function factsOf(rec: ContainerRecord, pid: number | undefined): ContainerFacts {
  const f: ContainerFacts = { id: rec.id };
  if (pid !== undefined) f.pid = pid;
  if (rec.ipc !== undefined) f.ipc = rec.ipc;
  if (rec.shm !== undefined) f.shm = rec.shm;
  if (rec.mounts !== undefined) f.mounts = rec.mounts;
  return f;
}

/**
 * What `env.containerPids` and `env.containers` say when ctnr starts a container of `project`: the containers
 * ctnr's records list (running or stopped; the runtime asked for each one's state), by container id, and the
 * project's own also by service name — the first replica, running ones first, as compose picks `sorted()[0]`.
 */
export function knownContainers(project: string, root = runRoot()): KnownContainers {
  const pids: Record<string, number> = Object.create(null);
  const containers: Record<string, ContainerFacts> = Object.create(null);
  const byService = new Map<string, Array<{ rec: ContainerRecord; running: boolean; facts: ContainerFacts }>>();
  for (const rec of listRecords(root)) {
    const state = queryState(rec);
    const running = state !== undefined && (state.status === 'running' || state.status === 'created' || state.status === 'paused') && state.pid !== undefined;
    const facts = factsOf(rec, running ? state.pid : undefined);
    containers[rec.id] = facts;
    if (running) pids[rec.id] = state.pid!;
    if (rec.project !== project) continue;
    const list = byService.get(rec.service) ?? [];
    list.push({ rec, running, facts });
    byService.set(rec.service, list);
  }
  for (const [service, list] of byService) {
    list.sort((a, b) => Number(b.running) - Number(a.running) || (a.rec.replica ?? 1) - (b.rec.replica ?? 1) || (a.rec.id < b.rec.id ? -1 : 1));
    const first = list[0]!;
    containers[service] = first.facts;
    if (first.facts.pid !== undefined) pids[service] = first.facts.pid;
  }
  return { pids, containers };
}
