import path from 'node:path';
import { createEngine, type Result } from '../../../src/engine.js';
import { defaultPreset } from '../../../presets/default.js';
import { parseCompose, selectService } from '../../../src/compose/load.js';
import type { CtnrError } from '../../../src/errors.js';
import type { Plugin } from '../../../src/types.js';
import { TEST_ENV, type RunOptions } from '../../helpers/engine.js';
import { expectValidSpec } from '../../helpers/schema.js';
import { REPO } from '../../helpers/shared.js';

/** A compose directory with `db_password.txt`, `app.conf` and a directory `adir`. */
export const PROJECT_DIR = path.join(REPO, 'test/fixtures/secrets/project');

export interface SecretRunOptions extends RunOptions {
  /** The environment the compose file is loaded in (interpolation, `environment:` entries). */
  environment?: Record<string, string>;
}

/**
 * Load `{ ...top, services: { svc } }` as a compose file in PROJECT_DIR (JSON text, so errors carry lines)
 * and run `svc` through the default preset in strict mode, the way runService does: the loader's variables
 * are `env.environment`. The spec is schema-validated.
 */
export async function runCompose(service: Record<string, unknown>, top: Record<string, unknown> = {}, options: SecretRunOptions = {}): Promise<Result> {
  const doc = { ...top, services: { svc: { command: ['true'], ...service } } };
  const dir = options.dir ?? PROJECT_DIR;
  const project = parseCompose(JSON.stringify(doc, null, 2), `${dir}/compose.yaml`, 'compose.yaml', { environment: options.environment ?? {} });
  const { input } = selectService(project, 'svc', options.image);
  const engine = createEngine({ presets: options.presets ?? [defaultPreset()], plugins: options.plugins ?? [], disable: options.disable ?? [], strict: true });
  const result = await engine.run(input, { ...TEST_ENV, environment: project.variables, ...options.env });
  expectValidSpec(result.spec);
  return result;
}

export async function composeError(service: Record<string, unknown>, top: Record<string, unknown> = {}, options: SecretRunOptions = {}): Promise<CtnrError> {
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

/** A stand-in for the rootless stage: writes user-namespace id mappings. */
export function idMappings(uid: Array<[number, number, number]>, gid: Array<[number, number, number]> = uid): Plugin {
  const map = (l: Array<[number, number, number]>) => l.map(([containerID, hostID, size]) => ({ containerID, hostID, size }));
  return {
    name: 'test:userns',
    stage: 'rootless',
    apply: () => [
      { op: 'add', path: '/linux/uidMappings', value: map(uid) },
      { op: 'add', path: '/linux/gidMappings', value: map(gid) },
    ],
  };
}

/** The bundle files ctnr:secrets and ctnr:configs declared (other stages declare /etc/hosts & co.). */
export function ownFiles(result: Result) {
  return result.files.filter((f) => f.plugin === 'ctnr:secrets' || f.plugin === 'ctnr:configs');
}
