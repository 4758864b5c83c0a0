import path from 'node:path';
import { CtnrError } from '../../engine/errors.js';
import { servicePolicy } from '../../policy/apply.js';
import { runService } from '../../project.js';
import { printDiagnostics, specJson, writeFileAtomic } from '../output.js';
import { OutputBatch } from '../output-file.js';
import { forEachService, reportFailureCount, reportServiceFailure, requireOutputDir, selectServices } from './batch.js';
import { generate, open, type CommonOptions } from './common.js';

export type SpecOptions = CommonOptions & { output?: string; compact?: boolean; report?: string; all?: boolean };

/** `ctnr spec SERVICE` (stdout or -o FILE), or a batch: `ctnr spec --all|SERVICE… -o DIR`. */
export async function specCommand(services: string[], opts: SpecOptions): Promise<void> {
  if (opts.all && services.length > 0) throw new CtnrError('USAGE', 'spec: --all and service names exclude each other');
  if (!opts.all && services.length === 0) throw new CtnrError('USAGE', 'spec: name a service (or several, or --all, with -o DIR)');
  if (!opts.all && services.length === 1) return specOne(services[0]!, opts);
  return specBatch(services, opts);
}

async function specOne(service: string, opts: SpecOptions): Promise<void> {
  const { result, project } = await generate(opts, service);
  // Policy: warn → stderr; the report (audit trail) is written even when enforce then fails the service.
  const policy = servicePolicy(project, result);
  printDiagnostics(policy.warnings);
  if (opts.report) writeFileAtomic(opts.report, JSON.stringify(policy.report, null, 2) + '\n');
  if (policy.error) throw policy.error;
  const json = specJson(result.spec, Boolean(opts.compact));
  if (opts.output) writeFileAtomic(opts.output, json);
  else process.stdout.write(json);
}

/** Specs written per filesystem sync in a batch. */
const OUTPUT_GROUP = 256;

/**
 * One `DIR/<service>.json` per service, in one process: the compose file is parsed and the engine built once.
 * A service that fails is reported (with its location) and skipped, never leaving a file; exit 1 at the end.
 * Files are written while the next specs are generated, made durable and renamed into place in groups (one
 * filesystem sync per group, not one fsync per file); each name is printed once its file is in place.
 */
async function specBatch(names: string[], opts: SpecOptions): Promise<void> {
  const what = opts.all ? 'spec --all' : 'spec with several services';
  const dir = requireOutputDir(opts.output, what);
  if (opts.report) throw new CtnrError('USAGE', `--report takes one service (use \`ctnr check --report FILE\` for several)`);
  const project = await open(opts, names);
  const services = selectServices(project, names);
  const output = new OutputBatch();
  const serviceOf = new Map<string, string>();
  let failed = 0;
  let landing: Promise<void> = Promise.resolve();
  // The previous group is synced and renamed while this one is written; its names print in order.
  const publish = () => {
    const flushed = output.flush();
    landing = landing.then(async () => {
      const done: string[] = [];
      for (const f of await flushed) {
        if (f.error === undefined) done.push(f.file);
        else {
          failed++;
          reportServiceFailure(serviceOf.get(f.file)!, f.error);
        }
      }
      if (done.length > 0) process.stdout.write(done.join('\n') + '\n');
    });
  };
  try {
    failed += await forEachService(project, services, async (service, print) => {
      const run = await runService(project, service);
      print(run.diagnostics);
      const policy = servicePolicy(project, run.result);
      printDiagnostics(policy.warnings);
      if (policy.error) throw policy.error;
      const file = path.join(dir, `${service}.json`);
      serviceOf.set(file, service);
      const wait = output.add(file, specJson(run.result.spec, Boolean(opts.compact)));
      if (wait) await wait;
      if (output.size >= OUTPUT_GROUP) {
        await landing; // at most one group waits for its sync while the next is written
        publish();
      }
    });
    publish();
    await landing;
  } finally {
    await output.discard();
  }
  reportFailureCount(failed, services.length);
  if (failed > 0) process.exitCode = 1;
}
