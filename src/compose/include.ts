import path from 'node:path';
import { CtnrError, didYouMean, renderPath } from '../engine/errors.js';
import type { ComposeProject, LoadOptions } from './compose-project.js';
import { ownValue } from './dotenv.js';
import { displayPath, readProjectFile, resolveHostPath } from './files.js';
import { parseEnvFile } from './interpolate.js';

/** parseCompose of load.ts, which calls applyIncludes: given as an argument, so that include.ts does not import load.ts. */
export type ParseCompose = (text: string, file: string, displayFile: string, options: LoadOptions) => ComposeProject;

/** `include:` brings in services (and the top-level tables they need) from other files; names must not clash. */
export function applyIncludes(project: ComposeProject, include: unknown, options: LoadOptions, parseCompose: ParseCompose): void {
  const list = Array.isArray(include) ? include : [include];
  list.forEach((entry, i) => {
    const at = ['include', i];
    const fail = (msg: string): never => {
      throw new CtnrError('COMPOSE_INVALID', msg, { path: at, location: project.positions.locate(at) });
    };
    let paths: string[];
    let envFiles: string[] = [];
    let projectDir: string | undefined;
    if (typeof entry === 'string') paths = [entry];
    else if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
      const e = entry as Record<string, unknown>;
      const unknown = Object.keys(e).find((k) => !['path', 'env_file', 'project_directory'].includes(k));
      if (unknown) fail(`unknown include key "${unknown}"${didYouMean(unknown, ['path', 'env_file', 'project_directory'])}`);
      paths = typeof e.path === 'string' ? [e.path] : Array.isArray(e.path) ? e.path.map(String) : fail('an include entry needs a "path"');
      envFiles = typeof e.env_file === 'string' ? [e.env_file] : Array.isArray(e.env_file) ? e.env_file.map(String) : [];
      projectDir = typeof e.project_directory === 'string' ? e.project_directory : undefined;
    } else return fail('an include entry is a path or a mapping with "path"');
    const home = project.environment.HOME ?? '/';
    for (const p of paths) {
      const file = resolveHostPath(p, project.dir, home);
      if ((options.chain ?? []).includes(file)) fail(`include cycle: ${[...(options.chain ?? []), file].join(' → ')}`);
      const displayFile = displayPath(file, options.cwd ?? process.cwd());
      const text = readProjectFile(file, displayFile, () => project.positions.locate(at), renderPath(at));
      let variables = project.variables;
      if (envFiles.length > 0) {
        const extra: Record<string, string | undefined> = Object.create(null);
        for (const ef of envFiles) {
          const efPath = resolveHostPath(ef, project.dir, home);
          const parsed = parseEnvFile(readProjectFile(efPath, displayPath(efPath, options.cwd ?? process.cwd()), () => project.positions.locate(at)), (n) => ownValue(project.environment, n));
          for (const [k, v] of parsed.entries) extra[k] = v;
        }
        variables = Object.assign(extra, Object.fromEntries(Object.entries(project.environment).filter(([, v]) => v !== undefined)));
      }
      // Parsed whole (not in parts for the services a command names): all its services are copied below.
      const { services: _named, ...whole } = options;
      const inner = parseCompose(text, projectDir ? path.join(resolveHostPath(projectDir, project.dir, home), path.basename(file)) : file, displayFile, {
        ...whole,
        variables,
      });
      for (const [name, svc] of Object.entries(inner.services)) {
        if (name in project.services) fail(`service "${name}" from ${displayFile} is already defined`);
        project.services[name] = svc;
        project.origins[name] = inner.origins[name]!;
        if (inner.mergeTags.reset[name]) project.mergeTags.reset[name] = inner.mergeTags.reset[name];
        if (inner.mergeTags.override[name]) project.mergeTags.override[name] = inner.mergeTags.override[name];
      }
      for (const key of ['volumes', 'networks', 'secrets', 'configs'] as const) {
        project.project[key] = Object.assign(Object.create(null), inner.project[key], project.project[key]);
      }
    }
  });
}
