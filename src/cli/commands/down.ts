import { loadComposeFile } from '../../compose/load.js';
import { startOrder } from '../../runtime/order.js';
import { stopContainer } from '../../runtime/run.js';
import { listRecords, runRoot } from '../../runtime/state.js';
import { note } from './run.js';

/**
 * Stop and remove the containers `up` and `run -d` started for this compose file's project (only the named
 * services when given), dependents before their dependencies, and remove their bundles.
 */
export async function downCommand(services: string[], opts: { file?: string }): Promise<void> {
  const compose = loadComposeFile(opts.file);
  const order = startOrder(compose.services, []);
  const rank = (s: string) => {
    const i = order.indexOf(s);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const records = listRecords(runRoot())
    .filter((r) => r.project === compose.name && (services.length === 0 || services.includes(r.service)))
    // Reverse start order; containers of services no longer in the file go first.
    .sort((a, b) => rank(b.service) - rank(a.service) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const rec of records) {
    await stopContainer(rec, note);
    process.stdout.write(`${rec.id} removed\n`);
  }
}
