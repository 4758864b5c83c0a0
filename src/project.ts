import path from 'node:path';
import { createEngine, type Engine, type Result, type ServiceInput } from './create-engine.js';
import { loadComposeFile, type ComposeProject } from './compose/load.js';
import type { ComposeCache } from './compose/yaml.js';
import { selectService } from './compose/select.js';
import { loadConfig, resolvePresetRefs, type LoadedConfig } from './config/load.js';
import { createEnv } from './linux/env.js';
import { DEFAULT_CDI_SPEC_DIRS } from './linux/cdi/read.js';
import type { Diagnostic, Env, Preset } from './engine/types.js';
import { resolveImageConfig, type ImageConfig, type ImageSources } from './image/config.js';
import type { ProjectImageSettings } from './image/for-service.js';
import type { IdMapping, Platform, PullProgress } from './image/types.js';
import { wantedPlatform } from './image/platform.js';
import { serviceImageName } from './compose/image-name.js';
import { CtnrError } from './engine/errors.js';
import { parsePath } from './engine/path.js';
import type { ImageMount } from './image/mounts.js';
import { BUILTIN_PRESET_LOADERS } from '../presets/builtin.js';

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
  /** --pull always|missing|never (wins over each service's pull_policy). */
  pull?: string;
  /** --platform os/arch[/variant] (wins over each service's platform:). */
  platform?: string;
  /** Pull progress events (a CLI draws them). */
  onPullProgress?: (e: PullProgress) => void;
  /** Parsed compose files kept between runs (the CLI's: src/compose/parse-cache.ts). */
  composeCache?: ComposeCache;
  /** The services the caller is about to use: a large compose file is then read in parts (compose/split-parse.ts). */
  services?: readonly string[];
}

export interface LoadedProject {
  compose: ComposeProject;
  config: LoadedConfig;
  engine: Engine;
  env: Env;
  /** Where runService finds a service's image config when the caller passes none. */
  imageSources?: ImageSources;
  /** Where runService and createBundle get images that no local source supplies: the store and registries. */
  images?: ProjectImageSettings;
}

/** The project's image settings (a project built by hand, without openProject, gets the defaults). */
export function imageSettings(project: LoadedProject): ProjectImageSettings {
  return project.images ?? { dataDir: project.env.dataDir };
}

/** Compose file + config + presets → an engine ready to run services of that file. */
export async function openProject(options: ProjectOptions = {}): Promise<LoadedProject> {
  const cwd = options.cwd ?? process.cwd();
  const compose = loadComposeFile(options.file, {
    cwd,
    ...(options.envFile ? { envFile: options.envFile } : {}),
    profiles: options.profiles ?? [],
    allowUnsupported: options.allowUnsupported ?? false,
    ...(options.composeCache ? { cache: options.composeCache } : {}),
    ...(options.services ? { services: options.services } : {}),
  });
  const config = await loadConfig(compose.dir, options.configFile);
  const engine = await engineFromConfig(config, compose.dir, options.presets ?? [], options.strict);
  const configDir = path.dirname(config.file ?? compose.file);
  const env = createEnv({
    ...(config.config.dataDir ? { dataDir: path.resolve(configDir, config.config.dataDir) } : {}),
    // ctnr:init's explicit binary; --init-path (options.env) wins.
    ...(config.config.init?.path ? { initPath: path.resolve(configDir, config.config.init.path) } : {}),
    // ctnr:cdi's spec directories: CTNR_CDI_SPEC_DIRS (colon-separated), else the config's cdi.specDirs, else
    // /etc/cdi and /var/run/cdi. (An Env built by hand has none: no host CDI spec is read behind its back.)
    ...cdiSpecDirs(config.config.cdi?.specDirs, configDir),
    ...options.env,
  });
  const imageSources: ImageSources = {
    cwd,
    ...(options.imageConfig ? { imageConfig: options.imageConfig } : {}),
    ...(options.image ? { image: options.image } : {}),
    ...(config.config.images ? { images: config.config.images, mappingBase: path.dirname(config.file ?? compose.file) } : {}),
  };
  const images: ProjectImageSettings = {
    dataDir: env.dataDir,
    ...(config.config.registries ? { registries: config.config.registries } : {}),
    ...(config.config.pullPolicy ? { defaultPullPolicy: config.config.pullPolicy } : {}),
    ...(options.pull ? { pull: options.pull } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
    ...(options.onPullProgress ? { onProgress: options.onPullProgress } : {}),
  };
  // The images policy refuses an image before its registry is contacted (when the plan has that validator). Loaded
  // only when a pull is about to happen: a run that pulls nothing never loads it.
  images.beforePull = async (service, keys) => {
    const { imagePullGate } = await import('./policy/pull-gate.js');
    imagePullGate(engine.plan, { exemptions: config.config.policy?.exemptions ?? [], label: config.label }, env)?.(service, keys);
  };
  return { compose, config, engine, env, imageSources, images };
}

function cdiSpecDirs(fromConfig: readonly string[] | undefined, configDir: string): { cdiSpecDirs?: readonly string[] } {
  const fromEnv = process.env.CTNR_CDI_SPEC_DIRS;
  if (fromEnv !== undefined && fromEnv !== '') return { cdiSpecDirs: fromEnv.split(':').filter(Boolean).map((d) => path.resolve(d)) };
  return { cdiSpecDirs: fromConfig ? fromConfig.map((d) => path.resolve(configDir, d)) : DEFAULT_CDI_SPEC_DIRS };
}

export async function engineFromConfig(config: LoadedConfig, dir: string, extraPresets: readonly string[] = [], strict = false): Promise<Engine> {
  const base = config.file ? path.dirname(config.file) : dir;
  const declared: Array<string | Preset> = config.config.presets ?? ['default'];
  const presets = await resolvePresetRefs(declared, base, config.label, BUILTIN_PRESET_LOADERS);
  const extra = await resolvePresetRefs(extraPresets, dir, '--preset', BUILTIN_PRESET_LOADERS);
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
  /** The images the service's `type: image` volumes mount, where runService found them (none when env gave them). */
  imageMounts: ImageMount[];
}

export interface RunServiceOptions {
  /** Unpack the images `type: image` volumes mount (a bundle needs their files; a spec only their place). */
  unpackImageMounts?: boolean;
  /** Rootless: the id mapping those images are unpacked with (as the service's own root filesystem). */
  idMapping?: IdMapping;
}

/**
 * Whether the service's image comes from somewhere the user named (--rootfs, --image-config, --image, or the
 * config's `images` mapping): then the store and registries are not consulted for it.
 */
export function hasLocalImageSource(project: LoadedProject, name: string, imageName: unknown): boolean {
  const s = project.imageSources;
  if (project.env.rootfs !== undefined || s?.imageConfig || s?.image) return true;
  return typeof imageName === 'string' && s?.images?.[imageName] !== undefined;
}

/** `image`: the OCI image config the service runs from, when known (e.g. read from an image layout). */
export async function runService(project: LoadedProject, name: string, image?: ImageConfig, opts: RunServiceOptions = {}): Promise<ServiceRun> {
  // The service after extends and interpolation: its `image:` (an inherited one too), build, pull_policy, platform
  // and user decide where its image comes from.
  const selected = selectService(project.compose, name);
  const keys = selected.input.service as { image?: unknown; build?: unknown; platform?: unknown; user?: unknown; group_add?: unknown };
  const imageRef = serviceImageName(project.compose.name, name, keys);
  let resolved = image ?? (project.imageSources ? await resolveImageConfig(project.imageSources, imageRef, () => servicePlatform(project, keys)) : undefined);
  let env = project.env;
  const fallback: Diagnostic[] = [];
  if (!resolved && imageRef !== undefined && !hasLocalImageSource(project, name, imageRef)) {
    // The image from the store (pulled per its pull policy): its config, and its root filesystem only where a
    // user or group name must be resolved against the image's /etc/passwd and /etc/group.
    const { imageForService, identityRootForImage, userNeedsRootfs, offlineFallback } = await import('./image/for-service.js');
    try {
      const named = { ...keys, image: imageRef };
      const stored = await imageForService(imageSettings(project), name, named, false);
      resolved = stored.config;
      const user = typeof keys.user === 'string' ? keys.user : stored.config.User;
      const groups = Array.isArray(keys.group_add) ? keys.group_add.map(String) : [];
      if (userNeedsRootfs(user) || groups.some((g) => userNeedsRootfs(g))) env = { ...env, rootfs: await identityRootForImage(imageSettings(project), name, named, stored) };
    } catch (err) {
      const warning = offlineFallback(err, imageSettings(project), name, keys);
      if (!warning) throw locatedAt(err, name, selected.input.source);
      fallback.push(warning);
    }
  }
  // The image config found joins the service as selectService would have put it (selecting again would
  // normalise the service twice).
  const { input, diagnostics } = selected;
  if (resolved) input.image = resolved;
  diagnostics.push(...fallback);
  let imageMounts: ImageMount[] = [];
  if (env.imageMounts === undefined && input.service.volumes?.some((v) => v.type === 'image')) {
    const { imageMountTable, resolveImageMounts } = await import('./image/mounts.js');
    const idMapping = opts.idMapping ?? (env.rootless && process.getuid?.() !== 0 ? (await import('./image/idmap.js')).currentUserIdMapping() : undefined);
    imageMounts = await resolveImageMounts({ images: imageSettings(project), ...(project.imageSources ? { imageSources: project.imageSources } : {}) }, name, input.service, {
      unpack: opts.unpackImageMounts ?? false,
      ...(idMapping ? { idMapping } : {}),
      onWarning: (w) => diagnostics.push({ level: 'warning', code: 'IMAGE_UNPACK', message: w.message }),
    }).catch((err: unknown) => {
      throw locatedAt(err, name, input.source);
    });
    env = { ...env, imageMounts: imageMountTable(imageMounts) };
  }
  // `environment:` secrets and configs read the loader's variables (process environment over `.env`), as compose.
  const result = await project.engine.run(input, { environment: project.compose.variables, ...env });
  return { input, result, diagnostics: [...diagnostics, ...result.diagnostics], imageMounts };
}

/**
 * The platform a service's image is taken for, from a layout as from the store: `--platform`, its `platform:` (of the
 * selected service: an inherited one counts), the Env's arch.
 */
export function servicePlatform(project: LoadedProject, keys: { platform?: unknown }): Platform {
  return wantedPlatform(imageSettings(project).platform, keys.platform, project.env.arch);
}

/** An image error at a key of service `name` (`services.NAME.image`, a volume's `source`) given its file and line. */
export function locatedAt(err: unknown, name: string, source: ServiceInput['source']): unknown {
  const prefix = `services.${name}.`;
  if (err instanceof CtnrError && err.location === undefined && err.path?.startsWith(prefix) && source) {
    const location = source.locate(parsePath(err.path.slice(prefix.length)));
    if (location) err.location = location;
  }
  return err;
}
