import { existsSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import type { ComposeFile, ComposeProject, LoadOptions } from './compose-project.js';
import { ownValue, projectVariables } from './dotenv.js';
import { displayPath, readProjectFile } from './files.js';
import { applyIncludes } from './include.js';
import { interpolateTree } from './interpolate-tree.js';
import { readTopLevel } from './top-level.js';
import { lazyServices, parseComposeText } from './split-parse.js';

/*
 * Loading a compose file, one job per module: yaml.ts (parse, compose's tags, bounds) → dotenv.ts (the variables)
 * → interpolate-tree.ts → top-level.ts (keys, services, tables, name) → include.ts (other files' services).
 * A loaded project's services are checked one at a time when selected: select.ts (selection, env_file,
 * label_file) over extends.ts (`extends`) over normalise.ts (key policy in check-keys.ts, schema, zod issues
 * in issues.ts).
 */

export type { ComposeFile, ComposeProject, LoadOptions } from './compose-project.js';

export const DEFAULT_COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

export function findComposeFile(cwd: string): string {
  for (const name of DEFAULT_COMPOSE_FILES) {
    const candidate = path.join(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new CtnrError('COMPOSE_NOT_FOUND', `no compose file found in ${cwd} (looked for ${DEFAULT_COMPOSE_FILES.join(', ')}); pass -f FILE`);
}

/** What docker compose merges over the file it found by default (the first of these there). */
export const DEFAULT_OVERRIDE_FILES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];

/** Load `fileArg` (relative to `options.cwd`), or the first of DEFAULT_COMPOSE_FILES found in the cwd. */
export function loadComposeFile(fileArg: string | undefined, options: LoadOptions = {}): ComposeProject {
  const cwd = options.cwd ?? process.cwd();
  const file = fileArg ? path.resolve(cwd, fileArg) : findComposeFile(cwd);
  const displayFile = displayPath(file, cwd);
  // The file the user named may be anything readable (`-f /dev/stdin`, a process substitution).
  const project = parseCompose(readProjectFile(file, displayFile, undefined, undefined, false), file, displayFile, options);
  if (!fileArg) warnUnmergedOverride(project, cwd);
  return project;
}

/**
 * docker compose reads `compose.override.yaml` (and its other names) over the compose file it finds; ctnr reads
 * one compose file. The difference is said, not left for the user to find in the bundle.
 */
function warnUnmergedOverride(project: ComposeProject, cwd: string): void {
  const override = DEFAULT_OVERRIDE_FILES.find((name) => existsSync(path.join(cwd, name)));
  if (override === undefined) return;
  project.diagnostics.push({
    level: 'warning',
    code: 'COMPOSE_FILE_IGNORED',
    message: `is not read: docker compose would merge it over ${project.displayFile}; ctnr reads one compose file (bring its services in with include:; -f ${project.displayFile} reads that file alone without this warning)`,
    location: { file: override },
  });
}

/** One compose file's text as a project: its services raw (interpolated), its tables, its included files' services. */
export function parseCompose(text: string, file: string, displayFile: string, options: LoadOptions = {}): ComposeProject {
  const parsed = parseComposeText(text, displayFile, options.services, options.cache);
  const { raw, positions, mergeTags } = parsed;
  const dir = path.dirname(file);
  const environment = options.environment ?? process.env;
  const variables = options.variables ?? projectVariables(dir, options);
  const lookup = (n: string) => ownValue(variables, n);
  const top = interpolateTree(raw, lookup, [], positions) as Record<string, unknown>;
  if (parsed.services) top.services = lazyServices(parsed.services, lookup, positions);
  const { name, services, project, diagnostics } = readTopLevel(top, dir, environment.HOME ?? '/', positions);
  const self: ComposeFile = { file, displayFile, dir, positions };
  const origins: Record<string, ComposeFile> = Object.create(null);
  for (const k of Object.keys(services)) origins[k] = self;
  const result: ComposeProject = {
    ...self,
    name,
    services,
    origins,
    mergeTags,
    project,
    environment,
    variables,
    profiles: options.profiles ?? [],
    allowUnsupported: options.allowUnsupported ?? false,
    diagnostics,
  };
  if (top.include !== undefined) applyIncludes(result, top.include, { ...options, chain: [...(options.chain ?? []), file] }, parseCompose);
  return result;
}
