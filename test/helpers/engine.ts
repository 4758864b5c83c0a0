import { createEngine, type Result } from '../../src/engine.js';
import { defaultPreset } from '../../presets/default.js';
import { parseCompose, selectService } from '../../src/compose/load.js';
import type { Env, Plugin, Preset } from '../../src/types.js';
import type { ImageConfig } from '../../src/image/config.js';
import { expectValidSpec } from './schema.js';
import { BUNDLE_FILES } from './runc.js';

export const TEST_ENV: Env = { rootless: false, dataDir: '/var/lib/ctnr-test', uid: 0, gid: 0, arch: 'amd64' };

export interface RunOptions {
  env?: Partial<Env>;
  image?: ImageConfig;
  presets?: Preset[];
  plugins?: Plugin[];
  disable?: string[];
  /** Compose file directory (relative paths resolve against it). */
  dir?: string;
}

/**
 * Run one service given as a compose-file fragment (`{ image: …, user: … }`) through the default preset in
 * strict mode (a plugin that mutates instead of returning ops fails), validating the spec against the schema.
 */
export async function runServiceYaml(service: Record<string, unknown>, options: RunOptions = {}): Promise<Result> {
  const doc = { services: { svc: { command: ['true'], ...service } } };
  const dir = options.dir ?? '/tmp/ctnr-test-project';
  const project = parseCompose(JSON.stringify(doc), `${dir}/compose.yaml`, 'compose.yaml');
  const { input } = selectService(project, 'svc', options.image);
  const engine = createEngine({
    presets: options.presets ?? [defaultPreset()],
    plugins: options.plugins ?? [],
    disable: options.disable ?? [],
    strict: true,
  });
  const result = await engine.run(input, { ...TEST_ENV, ...options.env });
  expectValidSpec(result.spec);
  // runBundle writes these into the bundle dir (generated /etc files the spec bind-mounts).
  Object.defineProperty(result.spec, BUNDLE_FILES, { value: result.files, enumerable: false });
  return result;
}

/** The CtnrError a service fails with (fails the test if it does not fail). */
export async function serviceError(service: Record<string, unknown>, options: RunOptions = {}) {
  try {
    await runServiceYaml(service, options);
  } catch (err) {
    return err as import('../../src/errors.js').CtnrError;
  }
  throw new Error('expected the service to fail');
}
