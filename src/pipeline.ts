import path from 'node:path';
import { createEngine, type Engine, type Result, type ServiceInput } from './engine.js';
import { loadComposeFile, selectService, type ComposeProject } from './compose/load.js';
import { loadConfig, resolvePresetRefs, type LoadedConfig } from './config/load.js';
import { createEnv } from './env.js';
import type { Diagnostic, Env, Preset } from './types.js';
import { resolveImageConfig, type ImageConfig, type ImageSources } from './image/config.js';
import { BUILTIN_PRESETS } from '../presets/index.js';
import { defaultPreset } from '../presets/default.js';

export interface ProjectOptions {
  /** Compose file; default: compose.yaml & co. in `cwd`. */
  file?: string;
  cwd?: string;
  /** Config file; default: found by cosmiconfig from the compose file's directory upward. */
  configFile?: string;
  /** Extra presets (built-in names or packages) on top of the config's. */
  presets?: readonly string[];
  env?: Partial<Env>;
  strict?: boolean;
  /** Variables file instead of `.env` beside the compose file (--env-file). */
  envFile?: string;
  /** Active compose profiles (--profile). */
  profiles?: readonly string[];
  /** Refused compose keys become warnings (--allow-unsupported). */
  allowUnsupported?: boolean;
  /** Image defaults: --image-config FILE, --image DIR (else the config's `images` mapping). */
  imageConfig?: string;
  image?: string;
}

export interface LoadedProject {
  compose: ComposeProject;
  config: LoadedConfig;
  engine: Engine;
  env: Env;
  /** Where runService finds a service's image config when the caller passes none. */
  imageSources?: ImageSources;
}

/** Compose file + config + presets → an engine ready to run services of that file. */
export async function openProject(options: ProjectOptions = {}): Promise<LoadedProject> {
  const cwd = options.cwd ?? process.cwd();
  const compose = loadComposeFile(options.file, {
    cwd,
    ...(options.envFile ? { envFile: options.envFile } : {}),
    profiles: options.profiles ?? [],
    allowUnsupported: options.allowUnsupported ?? false,
  });
  const config = await loadConfig(compose.dir, options.configFile);
  const engine = await engineFromConfig(config, compose.dir, options.presets ?? [], options.strict);
  const configDir = path.dirname(config.file ?? compose.file);
  const env = createEnv({
    ...(config.config.dataDir ? { dataDir: path.resolve(configDir, config.config.dataDir) } : {}),
    // ctnr:init's explicit binary; --init-path (options.env) wins.
    ...(config.config.init?.path ? { initPath: path.resolve(configDir, config.config.init.path) } : {}),
    ...options.env,
  });
  const imageSources: ImageSources = {
    cwd,
    ...(options.imageConfig ? { imageConfig: options.imageConfig } : {}),
    ...(options.image ? { image: options.image } : {}),
    ...(config.config.images ? { images: config.config.images, mappingBase: path.dirname(config.file ?? compose.file) } : {}),
  };
  return { compose, config, engine, env, imageSources };
}

export async function engineFromConfig(config: LoadedConfig, dir: string, extraPresets: readonly string[] = [], strict = false): Promise<Engine> {
  const base = config.file ? path.dirname(config.file) : dir;
  const declared: Array<string | Preset> = config.config.presets ?? [defaultPreset()];
  const presets = await resolvePresetRefs(declared, base, config.label, BUILTIN_PRESETS);
  const extra = await resolvePresetRefs(extraPresets, dir, '--preset', BUILTIN_PRESETS);
  const c = config.config;
  return createEngine({
    name: config.label,
    presets: [...presets, ...extra.map((p) => ({ name: '--preset', presets: [p] }))],
    plugins: c.plugins ?? [],
    stages: c.stages ?? [],
    disable: c.disable ?? [],
    strict,
  });
}

export interface ServiceRun {
  input: ServiceInput;
  result: Result;
  /** Loader diagnostics followed by the pipeline's. */
  diagnostics: Diagnostic[];
}

/** `image`: the OCI image config the service runs from, when known (e.g. read from an image layout). */
export async function runService(project: LoadedProject, name: string, image?: ImageConfig): Promise<ServiceRun> {
  const imageName = project.compose.services[name]?.image;
  const resolved = image ?? (project.imageSources ? await resolveImageConfig(project.imageSources, typeof imageName === 'string' ? imageName : undefined, project.env.arch) : undefined);
  const { input, diagnostics } = selectService(project.compose, name, resolved);
  // `environment:` secrets and configs read the loader's variables (process environment over `.env`), as compose.
  const result = await project.engine.run(input, { environment: project.compose.variables, ...project.env });
  return { input, result, diagnostics: [...diagnostics, ...result.diagnostics] };
}
