import { activeServiceNames } from '../../compose/select.js';
import { CtnrError, didYouMean } from '../../engine/errors.js';
import { buildServiceImages, type BuildMode } from '../../image/build-project.js';
import type { LoadedProject } from '../../project.js';
import { selectRuntime } from '../../runtime/select.js';
import { open, type CommonOptions } from './common.js';
import { note } from './notes.js';

export interface BuildCommandOptions extends Omit<CommonOptions, 'pull'> {
  /** `--no-cache` */
  cache?: boolean;
  pull?: boolean;
  builder?: string;
  runtime?: string;
}

/**
 * `ctnr build [SERVICE…]`: build the images of the services (default: the active ones) that have `build:`, with the
 * host's image builder, into ctnr's store. The builder's output goes to stderr; stdout gets `<image> <digest>` per
 * image built.
 */
export async function buildCommand(services: string[], opts: BuildCommandOptions): Promise<void> {
  const { pull, cache, builder, runtime, ...common } = opts;
  const project = await open(common);
  const names = Object.keys(project.compose.services);
  for (const s of services) {
    if (!names.includes(s)) throw new CtnrError('SERVICE_NOT_FOUND', `no service "${s}" in ${project.compose.displayFile}${didYouMean(s, names)}`);
  }
  const built = await buildServiceImages(project, services.length > 0 ? services : activeServiceNames(project.compose), {
    mode: 'always',
    ...(cache === false ? { noCache: true } : {}),
    ...(pull ? { pull: true } : {}),
    ...(builder ? { builder } : {}),
    ...(runtime ? { runtime: selectRuntime({ choice: runtime }).runtime.path } : {}),
    output: (chunk) => process.stderr.write(chunk),
    warn: note,
    progress: (line) => note(line),
  });
  if (built.length === 0) note(`no service to build: none of ${services.length > 0 ? services.join(', ') : 'the active services'} has build:`);
  for (const b of built) process.stdout.write(`${b.image.reference ?? b.service} ${b.image.manifestDigest}\n`);
}

/** `--build` / `--no-build` of up, run and bundle create. */
export interface BuildFlag {
  build?: boolean;
}

/**
 * Before up, run or bundle create start anything: build the images of `services` that need it (missing ones, or
 * all with `--build`; none with `--no-build`, or when `--rootfs`/`--image` supply the root instead).
 */
export async function buildBeforeStart(project: LoadedProject, services: readonly string[], opts: BuildFlag & Pick<CommonOptions, 'rootfs' | 'image'>, runtime: string | undefined): Promise<void> {
  if (opts.rootfs || opts.image) return;
  const mode: BuildMode = opts.build === true ? 'always' : opts.build === false ? 'never' : 'missing';
  await buildServiceImages(project, services, {
    mode,
    ...(runtime ? { runtime } : {}),
    output: (chunk) => process.stderr.write(chunk),
    warn: note,
    progress: (line) => note(line),
  });
}
