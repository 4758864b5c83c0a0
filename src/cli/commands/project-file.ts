import { loadComposeFile } from '../../compose/load.js';
import type { ComposeProject } from '../../compose/compose-project.js';
import { cliComposeCache } from '../compose-cache.js';

/** The options that decide what a compose file says: its path, its variables and its active profiles. */
export interface ProjectFileOptions {
  file?: string;
  envFile?: string;
  profile?: string[];
  allowUnsupported?: boolean;
}

/**
 * The compose file as `up` reads it, for the commands that act on what `up` started (`down`, `exec`, `logs`): the
 * same `--env-file` and profiles, so a project name or service set taken from variables (`name: ${APP}`) is
 * the one `up` used, not one read without them.
 */
export function loadProjectFile(opts: ProjectFileOptions): ComposeProject {
  const cache = cliComposeCache();
  return loadComposeFile(opts.file, {
    ...(opts.envFile ? { envFile: opts.envFile } : {}),
    profiles: opts.profile ?? [],
    allowUnsupported: opts.allowUnsupported ?? false,
    ...(cache ? { cache } : {}),
  });
}
