import { createsContainer, parseRuntimeArgs } from './args.js';
import { handover } from './handover.js';
import { findRuntimeConfig, resolveRuntime } from './locate.js';
import { CtnrError, formatError } from './errors.js';
import { rememberRuntime } from './handover-cache.js';
import { report, type LogTarget } from './log.js';

/**
 * ctnr-runtime: an OCI runtime command line (runc's) in front of the real runtime. `create` and `run` run the
 * configured pipeline over the bundle's config.json first (./create.ts, loaded only for them), `exec --process`
 * over the process it starts (./exec.ts); every other command only needs to know which runtime to hand over to.
 * The arguments are never changed.
 */
export async function main(argv: readonly string[], self: readonly string[]): Promise<number> {
  const args = parseRuntimeArgs(argv);
  const log: LogTarget = { ...(args.log ? { log: args.log } : {}), ...(args.logFormat ? { logFormat: args.logFormat } : {}) };
  let runtime: string | undefined;
  try {
    if (args.problem && !createsContainer(args)) throw new CtnrError('USAGE', args.problem);
    const configFile = findRuntimeConfig();
    if (configFile === undefined) {
      runtime = resolveRuntime(undefined, { self });
    } else if (createsContainer(args)) {
      const { prepareCreate } = await import('./create.js');
      runtime = (await prepareCreate({ args, configFile, self, log })).runtime;
    } else if (args.command === 'exec' && args.processFile !== undefined) {
      const { prepareExec } = await import('./exec.js');
      runtime = (await prepareExec({ argv, args, configFile, self, log })).runtime;
    } else {
      const { readRuntimeName } = await import('./read-config.js');
      runtime = resolveRuntime(await readRuntimeName(configFile), { configFile, self });
    }
    if (configFile !== undefined && runtime !== undefined) rememberRuntime(configFile, runtime);
  } catch (err) {
    report(log, 'error', formatError(err).split('\n'), true);
    return 1;
  }
  if (runtime === undefined) return 1; // refused: the reasons are on stderr and in the log
  handover(runtime, argv, args.preserveFds ?? 0);
  return 0;
}
