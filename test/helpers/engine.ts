import { createEngine, type Result } from '../../src/create-engine.js';
import { defaultPreset } from '../../presets/default.js';
import { parseCompose } from '../../src/compose/load.js';
import { selectService } from '../../src/compose/select.js';
import type { Env, Plugin, Preset } from '../../src/engine/types.js';
import type { ImageConfig } from '../../src/image/config.js';
import { expectValidSpec } from './schema.js';
import { testPlugin, type TestPluginOptions, type TestPluginResult } from '../../src/plugin-kit/test-plugin.js';
import type { Spec } from '../../src/spec/types.js';
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
  /** Top-level compose keys next to `services` (`volumes:`, `secrets:`, `name:` …). */
  top?: Record<string, unknown>;
  /** Variables the file is loaded with (interpolation, `KEY`-only environment entries); default: process env. */
  environment?: Record<string, string>;
  /** Refused compose keys become warnings (the loader's --allow-unsupported). */
  allowUnsupported?: boolean;
}

/** The fragment as service `svc` of a compose file in `options.dir`, loaded and selected as the CLI would. */
function loadFragment(service: Record<string, unknown>, options: RunOptions) {
  const doc = { ...options.top, services: { svc: { command: ['true'], ...service } } };
  const dir = options.dir ?? '/tmp/ctnr-test-project';
  // Pretty JSON is YAML too, one key per line, so errors point at distinct lines.
  const project = parseCompose(JSON.stringify(doc, null, 2), `${dir}/compose.yaml`, 'compose.yaml', {
    ...(options.environment ? { environment: options.environment } : {}),
    ...(options.allowUnsupported ? { allowUnsupported: true } : {}),
  });
  const { input } = selectService(project, 'svc', options.image);
  return { project, input, dir };
}

/**
 * Run one service given as a compose-file fragment (`{ image: …, user: … }`) through the default preset in
 * strict mode (a plugin that mutates instead of returning ops fails), validating the spec against the schema.
 */
export async function runServiceYaml(service: Record<string, unknown>, options: RunOptions = {}): Promise<Result> {
  const { project, input } = loadFragment(service, options);
  const engine = createEngine({
    presets: options.presets ?? [defaultPreset()],
    plugins: options.plugins ?? [],
    disable: options.disable ?? [],
    strict: true,
  });
  // As runService does: the loader's variables feed `environment:` secrets.
  const result = await engine.run(input, { ...TEST_ENV, environment: project.variables, ...options.env });
  expectValidSpec(result.spec);
  // runBundle writes these into the bundle dir (generated /etc files the spec bind-mounts).
  Object.defineProperty(result.spec, BUNDLE_FILES, { value: result.files, enumerable: false });
  return result;
}

/**
 * What `testPlugin` needs to run one plugin on a compose-file fragment: the fragment loaded as the pipeline
 * loads it (long syntax, sizes in bytes, environment pairs, env_file read), with its project and source (so
 * errors carry file:line). Options as for runServiceYaml (`env`, `presets`, `plugins` and `disable` do not
 * apply: give `env` to testPlugin).
 */
export function loadServiceYaml(service: Record<string, unknown>, options: RunOptions = {}): Required<Pick<TestPluginOptions, 'name' | 'service' | 'project' | 'source'>> & Pick<TestPluginOptions, 'image' | 'env'> {
  const { project, input, dir } = loadFragment(service, options);
  return {
    name: input.name,
    service: input.service,
    project: input.project ?? {},
    source: input.source ?? { dir, locate: () => undefined },
    ...(input.image !== undefined ? { image: input.image } : {}),
    env: { environment: project.variables, ...options.env },
  };
}

/**
 * Run one plugin alone (testPlugin) on a compose-file fragment, as the pipeline would hand it the service; the
 * spec it leaves is checked against the runtime-spec schema. `spec` overrides the base spec it starts from.
 */
export async function testPluginYaml(plugin: Plugin, service: Record<string, unknown>, options: RunOptions & { spec?: Spec } = {}): Promise<TestPluginResult> {
  const loaded = loadServiceYaml(service, options);
  const result = await testPlugin(plugin, { ...loaded, ...(options.spec !== undefined ? { spec: options.spec } : {}) });
  if (result.spec !== undefined) expectValidSpec(result.spec);
  return result;
}

/** The CtnrError a service fails with (fails the test if it does not fail). */
export async function serviceError(service: Record<string, unknown>, options: RunOptions = {}) {
  try {
    await runServiceYaml(service, options);
  } catch (err) {
    return err as import('../../src/engine/errors.js').CtnrError;
  }
  throw new Error('expected the service to fail');
}

/** runServiceYaml with the top level of the compose file (`volumes:`, `secrets:`, `name:`) given separately. */
export function runCompose(service: Record<string, unknown>, top: Record<string, unknown> = {}, options: RunOptions = {}): Promise<Result> {
  return runServiceYaml(service, { environment: {}, ...options, top });
}

export async function composeError(service: Record<string, unknown>, top: Record<string, unknown> = {}, options: RunOptions = {}) {
  return serviceError(service, { environment: {}, ...options, top });
}

/** The mount at `destination` (the last one, as the kernel would see it). */
export function mountAt(result: Result, destination: string) {
  return [...(result.spec.mounts ?? [])].reverse().find((m) => m.destination === destination);
}
