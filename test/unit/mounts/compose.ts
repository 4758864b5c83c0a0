import { createEngine, type Result } from '../../../src/engine.js';
import { defaultPreset } from '../../../presets/default.js';
import { parseCompose, selectService } from '../../../src/compose/load.js';
import type { CtnrError } from '../../../src/errors.js';
import { TEST_ENV, type RunOptions } from '../../helpers/engine.js';
import { expectValidSpec } from '../../helpers/schema.js';

/**
 * Like runServiceYaml, with the top level of the compose file too (`volumes:`, `name:`), which named volumes
 * need. The service is `svc`; the file is `<dir>/compose.yaml` written as YAML text so errors get lines.
 */
export interface ComposeRunOptions extends RunOptions {
  /** Refused compose keys become warnings (the loader's --allow-unsupported). */
  allowUnsupported?: boolean;
}

export async function runCompose(service: Record<string, unknown>, top: Record<string, unknown> = {}, options: ComposeRunOptions = {}): Promise<Result> {
  const doc = { ...top, services: { svc: { command: ['true'], ...service } } };
  const dir = options.dir ?? '/tmp/ctnr-test-project';
  const project = parseCompose(JSON.stringify(doc, null, 2), `${dir}/compose.yaml`, 'compose.yaml', { allowUnsupported: options.allowUnsupported ?? false, environment: {} });
  const { input } = selectService(project, 'svc', options.image);
  const engine = createEngine({ presets: options.presets ?? [defaultPreset()], plugins: options.plugins ?? [], disable: options.disable ?? [], strict: true });
  const result = await engine.run(input, { ...TEST_ENV, ...options.env });
  expectValidSpec(result.spec);
  return result;
}

export async function composeError(service: Record<string, unknown>, top: Record<string, unknown> = {}, options: ComposeRunOptions = {}): Promise<CtnrError> {
  try {
    await runCompose(service, top, options);
  } catch (err) {
    return err as CtnrError;
  }
  throw new Error('expected the service to fail');
}

/** The mount at `destination` (the last one, as the kernel would see it). */
export function mountAt(result: Result, destination: string) {
  return [...(result.spec.mounts ?? [])].reverse().find((m) => m.destination === destination);
}
