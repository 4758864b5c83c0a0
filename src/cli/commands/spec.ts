import { servicePolicy } from '../../policy/apply.js';
import { printDiagnostics, specJson, writeFileAtomic } from '../output.js';
import { generate, type CommonOptions } from './common.js';

export async function specCommand(service: string, opts: CommonOptions & { output?: string; compact?: boolean; report?: string }): Promise<void> {
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
