import { containerStatus, listRecords, queryState, runRoot } from '../../runtime/state.js';
import { table } from '../format.js';

/**
 * Containers ctnr started (records under the run root), with the runtime's view of their state; one `ctnr up` ran
 * to its end shows its exit status.
 */
export async function psCommand(opts: { json?: boolean }): Promise<void> {
  const rows = listRecords(runRoot()).map((r) => {
    const state = queryState(r);
    // `restarting` between the runs of a container with a restart policy, as docker says.
    const status = containerStatus(r, state) ?? (r.exitStatus !== undefined ? `exited (${r.exitStatus})` : 'gone');
    return { id: r.id, project: r.project, service: r.service, runtime: r.runtime.name, status, restarts: r.restarts ?? 0, pid: state?.pid ?? null, bundle: r.bundle };
  });
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const lines = [['ID', 'PROJECT', 'SERVICE', 'RUNTIME', 'STATUS', 'PID', 'BUNDLE']];
  for (const r of rows) {
    const status = r.restarts > 0 ? `${r.status}, restarted ${r.restarts}×` : r.status;
    lines.push([r.id, r.project, r.service, r.runtime, status, r.pid === null ? '-' : String(r.pid), r.bundle]);
  }
  process.stdout.write(table(lines));
}
