import { selectService } from '../compose/select.js';
import { hasLocalImageSource, type LoadedProject } from '../project.js';
import { runRoot } from '../runtime/state.js';
import { selectRuntime } from '../runtime/select.js';
import { buildImage, buildRequestOf, findBuilder, type Builder, type BuildRequest } from './build.js';
import { ImageStore, type StoredImage } from './store.js';
import { buildNetworkDir } from './build-network.js';

/**
 * `build:` for a project's services: which need building, and building them (src/image/build.ts) before anything
 * starts, as docker compose does. `always` (`--build`, `ctnr build`) builds every one; `missing` (what `up`, `run`
 * and `bundle create` do by default) those whose image is not in the store, and those with `pull_policy: build`;
 * `never` (`--no-build`) none (one not built is then an error where its image is needed).
 */
export type BuildMode = 'always' | 'missing' | 'never';

export interface ProjectBuildOptions {
  mode: BuildMode;
  noCache?: boolean;
  pull?: boolean;
  /** `--builder`, else the config's `builder`, else CTNR_BUILDER, else the first of podman, buildah, docker. */
  builder?: string;
  /** The runtime ctnr runs containers with: the builder's RUN steps use it too (podman, buildah). */
  runtime?: string;
  /** The builder's output. */
  output: (chunk: Buffer) => void;
  warn: (message: string) => void;
  /** Before each build. */
  progress?: (line: string) => void;
}

/** The build requests of `services` that build an image and need one now (per `mode`), checked before any build. */
export function pendingBuilds(project: LoadedProject, services: readonly string[], opts: Pick<ProjectBuildOptions, 'mode' | 'warn'>): BuildRequest[] {
  if (opts.mode === 'never') return [];
  const store = new ImageStore(project.env.dataDir);
  const refs = store.readRefs();
  const out: BuildRequest[] = [];
  for (const service of services) {
    const { input } = selectService(project.compose, service);
    const keys = input.service as { build?: unknown; image?: unknown; pull_policy?: unknown };
    const req = buildRequestOf(
      { project: project.compose.name, service, keys, dir: input.source?.dir ?? project.compose.dir, variables: project.compose.variables, ...(input.source ? { locate: (s) => input.source!.locate(s) } : {}) },
      opts.warn,
    );
    if (!req || hasLocalImageSource(project, service, req.image)) continue;
    const stored = refs[req.image]?.complete === true;
    if (opts.mode === 'always' || keys.pull_policy === 'build' || !stored) out.push(req);
  }
  return out;
}

/** Build what `pendingBuilds` finds, one after the other; the images stored, in order. */
export async function buildServiceImages(project: LoadedProject, services: readonly string[], opts: ProjectBuildOptions): Promise<Array<{ service: string; image: StoredImage }>> {
  const pending = pendingBuilds(project, services, opts);
  if (pending.length === 0) return [];
  const builder: Builder = findBuilder(opts.builder ?? project.config.config.builder ?? process.env.CTNR_BUILDER);
  const runtime = opts.runtime ?? (builder.name === 'docker' ? undefined : selectRuntime().runtime.path);
  const store = new ImageStore(project.env.dataDir);
  const networkDir = builder.name === 'docker' ? undefined : buildNetworkDir(project.env.dataDir);
  const registries = project.config.config.registries;
  if (builder.name === 'docker' && Object.values(registries ?? {}).some((r) => (r.mirrors?.length ?? 0) > 0)) {
    opts.warn("docker pulls a build's base images through the daemon's registry mirrors (daemon.json), not the config's registries");
  }
  const built: Array<{ service: string; image: StoredImage }> = [];
  for (const req of pending) {
    opts.progress?.(`building ${req.image} for ${req.service} with ${builder.name}`);
    const image = await buildImage(store, req, {
      builder,
      dataDir: project.env.dataDir,
      runRoot: runRoot(),
      ...(runtime ? { runtime } : {}),
      ...(networkDir ? { networkDir } : {}),
      ...(opts.noCache ? { noCache: true } : {}),
      ...(opts.pull ? { pull: true } : {}),
      ...(registries ? { registries } : {}),
      output: opts.output,
    });
    built.push({ service: req.service, image });
  }
  return built;
}
