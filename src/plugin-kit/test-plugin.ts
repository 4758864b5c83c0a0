import { createEngine, type Result } from '../create-engine.js';
import { shippedPreset } from '../engine/reserved.js';
import { isCtnrError, type CtnrError } from '../engine/errors.js';
import { jsonClone } from '../engine/trace.js';
import type { Service } from '../engine/service.js';
import type { ImageConfig } from '../image/config.js';
import type { Spec } from '../spec/types.js';
import type { Diagnostic, Env, Operation, Plugin, Project, ServiceSource } from '../engine/types.js';

/** The environment `testPlugin` runs in unless `env` overrides some of it (fixed, so tables do not depend on the host). */
export const TEST_ENV: Readonly<Env> = Object.freeze({ rootless: false, dataDir: '/var/lib/ctnr', uid: 0, gid: 0, arch: 'amd64' });

export interface TestPluginOptions {
  /** The service as plugins see it (after the compose loader: long syntax, `environment` as pairs). */
  service?: Service;
  /** The service's name (default `svc`; errors name `services.<name>.<key>`). */
  name?: string;
  /** Overrides of `TEST_ENV`. */
  env?: Partial<Env>;
  /** The spec the plugin starts from (default: the base spec, docker's defaults). Not modified. */
  spec?: Spec;
  /** The image config, as `ctx.image`. */
  image?: ImageConfig;
  project?: Partial<Project>;
  /** Where the service came from (relative paths, and file:line in errors); default: no file, the cwd. */
  source?: ServiceSource;
}

export interface TestPluginResult {
  /** The spec after the plugin's ops; undefined when the plugin failed. */
  spec: Spec | undefined;
  /** The ops the engine applied, as the plugin returned them (`test` ops are checked, not listed). */
  ops: Operation[];
  diagnostics: Diagnostic[];
  /** What failed the service: CtnrErrors with their code, plugin and service key path. */
  errors: CtnrError[];
  /** A validator's violations. */
  violations: Result['violations'];
  /** Bundle files the plugin declared. */
  files: Result['files'];
  /** Host directories the plugin asked the bundle writer to create (absolute paths). */
  hostDirs: Result['hostDirs'];
}

/**
 * Run one plugin alone through the engine, as ESLint's RuleTester runs one rule: a one-stage plan holding only
 * this plugin (its `before`/`after` name plugins that are not there, so they are dropped), strict mode (a
 * plugin that changes `ctx.spec` fails), the engine's own op checks and trace. A plugin named `ctnr:…` runs as
 * ctnr's presets list it (it sees the spec itself); any other sees read-only views, as from a config.
 * Errors the service fails with are returned in `errors`, not thrown; anything else (a bug here) throws.
 */
export async function testPlugin(plugin: Plugin, options: TestPluginOptions = {}): Promise<TestPluginResult> {
  const alone = plugin !== null && typeof plugin === 'object' ? withoutOrder(plugin) : plugin;
  const stage = typeof plugin?.stage === 'string' && plugin.stage !== '' ? [plugin.stage] : [];
  const ctnrOwn = typeof plugin?.name === 'string' && plugin.name.startsWith('ctnr:');
  const given = options.spec;
  try {
    const engine = createEngine({
      name: 'testPlugin',
      stages: stage,
      ...(ctnrOwn ? { presets: [shippedPreset({ name: 'ctnr:preset-test', plugins: [alone] })] } : { plugins: [alone] }),
      strict: true,
      ...(given !== undefined ? { baseSpec: () => jsonClone(given) as Spec } : {}),
    });
    const result = await engine.run(
      {
        name: options.name ?? 'svc',
        service: options.service ?? {},
        ...(options.image !== undefined ? { image: options.image } : {}),
        ...(options.project !== undefined ? { project: options.project } : {}),
        ...(options.source !== undefined ? { source: options.source } : {}),
      },
      { ...TEST_ENV, ...options.env },
    );
    return {
      spec: result.spec,
      ops: result.trace.map((t) => t.op),
      diagnostics: result.diagnostics,
      errors: [],
      violations: result.violations,
      files: result.files,
      hostDirs: result.hostDirs,
    };
  } catch (err) {
    if (!isCtnrError(err)) throw err;
    return { spec: undefined, ops: [], diagnostics: [], errors: [err], violations: [], files: [], hostDirs: [] };
  }
}

function withoutOrder(plugin: Plugin): Plugin {
  if (plugin.before === undefined && plugin.after === undefined) return plugin;
  const { before: _before, after: _after, ...rest } = plugin;
  return rest as Plugin;
}
