import path from 'node:path';
import { openProject, runService, type LoadedProject, type ServiceRun } from '../../project.js';
import { printDiagnostics } from '../output.js';
import { pullProgress } from '../image/progress.js';
import { cliComposeCache } from '../compose-cache.js';

export interface CommonOptions {
  file?: string;
  config?: string;
  preset?: string[];
  rootfs?: string;
  rootless?: boolean;
  envFile?: string;
  profile?: string[];
  allowUnsupported?: boolean;
  imageConfig?: string;
  image?: string;
  initPath?: string;
  dataDir?: string;
  pull?: string;
  platform?: string;
}

/** The project; `services`: the services the command names (a large file is then read in parts: compose/split-parse.ts). */
export async function open(opts: CommonOptions, services?: readonly string[]): Promise<LoadedProject> {
  const composeCache = cliComposeCache();
  return openProject({
    ...(opts.file ? { file: opts.file } : {}),
    ...(services && services.length > 0 ? { services } : {}),
    ...(opts.config ? { configFile: opts.config } : {}),
    presets: opts.preset ?? [],
    ...(opts.envFile ? { envFile: opts.envFile } : {}),
    profiles: opts.profile ?? [],
    ...(opts.allowUnsupported ? { allowUnsupported: true } : {}),
    ...(opts.imageConfig ? { imageConfig: opts.imageConfig } : {}),
    ...(opts.image ? { image: opts.image } : {}),
    ...(opts.pull ? { pull: opts.pull } : {}),
    ...(opts.platform ? { platform: opts.platform } : {}),
    ...(pullProgress() ? { onPullProgress: pullProgress()! } : {}),
    ...(composeCache ? { composeCache } : {}),
    env: {
      ...(opts.rootless !== undefined ? { rootless: opts.rootless } : {}),
      ...(opts.rootfs ? { rootfs: path.resolve(opts.rootfs) } : {}),
      ...(opts.initPath ? { initPath: path.resolve(opts.initPath) } : {}),
      ...(opts.dataDir ? { dataDir: path.resolve(opts.dataDir) } : {}),
    },
  });
}

export async function generate(opts: CommonOptions, service: string): Promise<ServiceRun & { project: LoadedProject }> {
  const project = await open(opts, [service]);
  const run = await runService(project, service);
  printDiagnostics(run.diagnostics);
  return { ...run, project };
}
