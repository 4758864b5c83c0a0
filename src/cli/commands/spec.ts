import { specJson, writeFileAtomic } from '../output.js';
import { generate, type CommonOptions } from './common.js';

export async function specCommand(service: string, opts: CommonOptions & { output?: string; compact?: boolean }): Promise<void> {
  const { result } = await generate(opts, service);
  const json = specJson(result.spec, Boolean(opts.compact));
  if (opts.output) writeFileAtomic(opts.output, json);
  else process.stdout.write(json);
}
