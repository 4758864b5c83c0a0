import { existsSync } from 'node:fs';
import path from 'node:path';
import { CtnrError, didYouMean, renderPath } from '../engine/errors.js';
import type { Diagnostic, Project, ServiceSource } from '../engine/types.js';
import type { ServiceInput } from '../engine/engine.js';
import type { ImageConfig } from '../image/config.js';
import { parseEnvFile } from './interpolate.js';
import { interpolateTree } from './interpolate-tree.js';
import { checkProjectName, checkServiceName } from './names.js';
import { PositionIndex } from './positions.js';
import { readSideFile } from './side-files.js';
import type { Service } from './service.js';
import { moveExtensions } from './extensions.js';
import { mergeSecurityOpts } from './security-opt.js';
import { normaliseOwnService } from './normalise.js';
import { ownValue, projectVariables } from './dotenv.js';
import { displayPath, readProjectFile, resolveHostPath } from './files.js';
import { KEY_LIKE, parseComposeYaml } from './yaml.js';
import type { ComposeFile, ComposeProject, LoadOptions } from './compose-project.js';
import { applyIncludes } from './include.js';

export type { ComposeFile, ComposeProject, LoadOptions } from './compose-project.js';

export const DEFAULT_COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/** Top-level keys of a compose file (compose-spec), besides `x-*` extensions. */
const TOP_LEVEL_KEYS = ['version', 'name', 'include', 'services', 'networks', 'volumes', 'secrets', 'configs', 'models'];

export function findComposeFile(cwd: string): string {
  for (const name of DEFAULT_COMPOSE_FILES) {
    const candidate = path.join(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new CtnrError('COMPOSE_NOT_FOUND', `no compose file found in ${cwd} (looked for ${DEFAULT_COMPOSE_FILES.join(', ')}); pass -f FILE`);
}

export function loadComposeFile(fileArg: string | undefined, options: LoadOptions = {}): ComposeProject {
  const cwd = options.cwd ?? process.cwd();
  const file = fileArg ? path.resolve(cwd, fileArg) : findComposeFile(cwd);
  const displayFile = displayPath(file, cwd);
  // The file the user named may be anything readable (`-f /dev/stdin`, a process substitution).
  return parseCompose(readProjectFile(file, displayFile, undefined, undefined, false), file, displayFile, options);
}

export function parseCompose(text: string, file: string, displayFile: string, options: LoadOptions = {}): ComposeProject {
  const { raw, positions, mergeTags } = parseComposeYaml(text, displayFile);
  const dir = path.dirname(file);
  const environment = options.environment ?? process.env;
  const variables = options.variables ?? projectVariables(dir, options);
  const top = interpolateTree(raw, (n) => ownValue(variables, n), [], positions) as Record<string, unknown>;
  const diagnostics: Diagnostic[] = [];

  for (const key of Object.keys(top)) {
    if (TOP_LEVEL_KEYS.includes(key) || key.startsWith('x-')) continue;
    // A file that is not a compose file at all (`extends: {file: /etc/shadow}`) must not have its text echoed.
    if (!KEY_LIKE.test(key)) throw new CtnrError('COMPOSE_INVALID', `not a compose file: its first key is not a compose key (expected ${TOP_LEVEL_KEYS.join(', ')})`, { location: positions.locate([key]) });
    throw new CtnrError('COMPOSE_INVALID', `unknown top-level key "${key}"${didYouMean(key, TOP_LEVEL_KEYS)}`, { path: key, location: positions.locate([key]) });
  }
  if (top.version !== undefined) {
    // As docker compose: the key is obsolete; say so once instead of failing or dropping it silently.
    diagnostics.push({ level: 'warning', code: 'KEY_IGNORED', message: 'the top-level "version" is obsolete and ignored', path: 'version', location: positions.locate(['version']) });
  }
  const services = top.services ?? (top.include !== undefined ? {} : undefined);
  if (services === undefined || services === null || typeof services !== 'object' || Array.isArray(services)) {
    throw new CtnrError('COMPOSE_INVALID', '"services" must be a mapping of service names to services', {
      path: 'services',
      location: positions.locate(['services']),
    });
  }
  const table = (key: string): Record<string, unknown> => {
    const v = top[key];
    if (v === undefined || v === null) return Object.create(null) as Record<string, unknown>;
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw new CtnrError('COMPOSE_INVALID', `"${key}" must be a mapping`, { path: key, location: positions.locate([key]) });
    }
    // `x-*` entries are extensions, not declarations.
    return nullProto(Object.entries(v).filter(([k]) => !k.startsWith('x-')));
  };
  const name = projectName(top.name, dir, positions);
  const self: ComposeFile = { file, displayFile, dir, positions };
  // Service names are user keys: maps without a prototype keep `__proto__` and have no `toString`.
  const serviceMap: Record<string, Record<string, unknown>> = Object.create(null);
  const origins: Record<string, ComposeFile> = Object.create(null);
  for (const [k, v] of Object.entries(services as Record<string, unknown>)) {
    if (k.startsWith('x-')) continue;
    checkServiceName(k, { path: ['services', k], location: positions.locate(['services', k]) });
    serviceMap[k] = v as Record<string, unknown>;
    origins[k] = self;
  }
  const home = environment.HOME ?? '/';
  const project: Project = {
    name,
    volumes: table('volumes'),
    networks: table('networks'),
    secrets: resolveFileTable(table('secrets'), dir, home),
    configs: resolveFileTable(table('configs'), dir, home),
  };
  const result: ComposeProject = {
    ...self,
    name,
    services: serviceMap,
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

/** `name:` (checked with compose's rule), else the directory name made into one. */
function projectName(value: unknown, dir: string, positions: PositionIndex): string {
  if (value === undefined || value === null || value === '') return projectNameFromDir(dir);
  const where = { path: 'name', location: positions.locate(['name']) };
  if (typeof value !== 'string') throw new CtnrError('NAME_INVALID', 'the project "name" must be a string', where);
  checkProjectName(value, where);
  return value;
}

/** An object without a prototype holding these entries (user-chosen keys: `__proto__` is kept as a key). */
function nullProto<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** Top-level secrets/configs `file:` entries become absolute (relative to their compose file). */
function resolveFileTable(t: Record<string, unknown>, dir: string, home: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(t)) {
    out[k] = v && typeof v === 'object' && typeof (v as { file?: unknown }).file === 'string' ? { ...v, file: resolveHostPath((v as { file: string }).file, dir, home) } : v;
  }
  return out;
}

/** Compose's default project name: the directory name, lower-cased, only [a-z0-9_-], not starting with `_` or `-`. */
export function projectNameFromDir(dir: string): string {
  return path.basename(dir).toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '') || 'default';
}

/** Services enabled by the active profiles (services without `profiles:` always are). */
export function activeServiceNames(project: ComposeProject): string[] {
  return Object.keys(project.services).filter((name) => {
    const profiles = project.services[name]?.profiles;
    if (!Array.isArray(profiles) || profiles.length === 0) return true;
    return profiles.some((p) => project.profiles.includes(String(p)) || project.profiles.includes('*'));
  });
}

export interface SelectedService {
  input: ServiceInput;
  diagnostics: Diagnostic[];
}

/**
 * Validate and normalise one service of a loaded file: key policy, schema, paths, `extends`, `env_file`,
 * `label_file`. A service is selected by name, so one outside the active profiles is still selectable.
 * Errors carry file:line:col and the key path.
 */
export function selectService(project: ComposeProject, name: string, image?: ImageConfig): SelectedService {
  // A name from the command line: the same rule as in the file, so `x/../..` is refused before any lookup.
  checkServiceName(name);
  if (!Object.hasOwn(project.services, name)) {
    const names = Object.keys(project.services);
    throw new CtnrError('SERVICE_NOT_FOUND', `no service "${name}" in ${project.displayFile}${didYouMean(name, names)} (services: ${names.join(', ') || 'none'})`);
  }
  const diagnostics: Diagnostic[] = [...project.diagnostics];
  const origin = project.origins[name] ?? project;
  const base = ['services', name];
  const service = normaliseService(project, name, diagnostics, []);
  moveExtensions(service);

  const environment = new Map<string, string>();
  // env_file entries first (in file order), then `environment:` overrides, as compose does.
  for (const [i, ef] of (service.env_file ?? []).entries()) {
    const at = [...base, 'env_file', i];
    const text = readSideFile({ kind: 'env file', file: ef.path, required: ef.required, path: at, location: origin.positions.locate(at) });
    if (text === undefined) continue;
    const parsed = parseEnvFile(text, (n) => ownValue(project.environment, n));
    if (parsed.errors.length > 0) {
      throw new CtnrError('SERVICE_INVALID', `${ef.path}:${parsed.errors[0]!.line}: ${parsed.errors[0]!.message}`, { path: at, location: origin.positions.locate(at) });
    }
    for (const [k, v] of parsed.entries) putEnv(environment, k, v);
  }
  for (const [k, v] of (service.environment ?? []) as Array<[string, string | null]>) {
    // `KEY` without a value: compose takes it from the environment of the command, and drops it when unset.
    const value = v ?? ownValue(project.environment, k);
    if (value !== undefined) putEnv(environment, k, value);
  }
  if (service.environment !== undefined || service.env_file !== undefined) service.environment = [...environment];

  if (service.label_file) {
    const labels: Record<string, string> = Object.create(null);
    for (const [i, f] of service.label_file.entries()) {
      const at = [...base, 'label_file', i];
      const text = readSideFile({ kind: 'label file', file: f, required: true, path: at, location: origin.positions.locate(at) })!;
      const parsed = parseEnvFile(text, () => undefined);
      if (parsed.errors.length > 0) {
        throw new CtnrError('SERVICE_INVALID', `${f}:${parsed.errors[0]!.line}: ${parsed.errors[0]!.message}`, { path: at, location: origin.positions.locate(at) });
      }
      for (const [k, v] of parsed.entries) labels[k] = v;
    }
    service.labels = Object.assign(Object.create(null), labels, service.labels);
  }

  const source: ServiceSource = {
    file: origin.file,
    dir: origin.dir,
    locate: (segs) => origin.positions.locate([...base, ...segs]),
  };
  return { input: { name, service, project: project.project, source, ...(image ? { image } : {}) }, diagnostics };
}

/** A later value for a variable replaces the earlier one and moves to the end (compose's order). */
function putEnv(env: Map<string, string>, k: string, v: string): void {
  env.delete(k);
  env.set(k, v);
}

/** Key policy + schema + paths + references for one service, with its `extends` chain merged in. */
function normaliseService(project: ComposeProject, name: string, diagnostics: Diagnostic[], chain: readonly string[]): Service {
  const origin = project.origins[name] ?? project;
  const base = ['services', name];
  const service = normaliseOwnService(project, name, diagnostics);

  if (!service.extends) return service;
  const ext = service.extends;
  delete service.extends;
  const at = [...base, 'extends'];
  const id = `${origin.file}#${name}`;
  if (chain.includes(id)) {
    throw new CtnrError('SERVICE_INVALID', `extends cycle: ${[...chain, id].map((c) => c.split('#')[1]).join(' → ')}`, { path: at, location: origin.positions.locate(at) });
  }
  let parentProject = project;
  if (ext.file !== undefined) {
    const file = resolveHostPath(ext.file, origin.dir, project.environment.HOME ?? '/');
    const display = displayPath(file, process.cwd());
    parentProject = parseCompose(readProjectFile(file, display, origin.positions.locate(at), renderPath(at)), file, display, {
      environment: project.environment,
      variables: project.variables,
      allowUnsupported: project.allowUnsupported,
    });
  }
  if (parentProject.services[ext.service] === undefined) {
    const names = Object.keys(parentProject.services);
    throw new CtnrError('SERVICE_INVALID', `extends: no service "${ext.service}" in ${parentProject.displayFile}${didYouMean(ext.service, names)}`, {
      path: at,
      location: origin.positions.locate(at),
    });
  }
  const parent = normaliseService(parentProject, ext.service, diagnostics, [...chain, id]);
  const merged = mergeServices(parent, service) as Record<string, unknown>;
  for (const k of project.mergeTags.reset[name] ?? []) delete merged[k];
  for (const k of project.mergeTags.override[name] ?? []) if (k in service) merged[k] = (service as Record<string, unknown>)[k];
  return merged as Service;
}

/**
 * Compose's merge rules for `extends`: mappings merge by key, mounts/devices by target, secrets/configs by
 * source, plain sequences append (without duplicates), `command`/`entrypoint`/`healthcheck.test` and scalars
 * are replaced. `links` and `volumes_from` are never inherited.
 */
export function mergeServices(parent: Service, child: Service): Service {
  const out: Record<string, unknown> = { ...parent };
  delete out.links;
  delete out.volumes_from;
  const byKey = <T>(a: T[] | undefined, b: T[], key: (x: T) => string): T[] => {
    const map = new Map<string, T>();
    for (const x of [...(a ?? []), ...b]) {
      map.delete(key(x));
      map.set(key(x), x);
    }
    return [...map.values()];
  };
  for (const [k, v] of Object.entries(child)) {
    const p = (parent as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (p === undefined || v === null) {
      out[k] = v;
      continue;
    }
    switch (k) {
      case 'environment':
        out[k] = byKey(p as Array<[string, unknown]>, v as Array<[string, unknown]>, (e) => e[0]);
        break;
      case 'volumes':
      case 'devices':
      case 'tmpfs':
        out[k] = byKey(p as Array<{ target: string }>, v as Array<{ target: string }>, (e) => e.target);
        break;
      case 'secrets':
      case 'configs':
        out[k] = byKey(p as Array<{ source: string }>, v as Array<{ source: string }>, (e) => e.source);
        break;
      case 'ports':
      case 'env_file':
      case 'extra_hosts':
        out[k] = byKey(p as unknown[], v as unknown[], (e) => JSON.stringify(e));
        break;
      case 'command':
      case 'entrypoint':
        out[k] = v;
        break;
      case 'security_opt':
        out[k] = mergeSecurityOpts(p as Service['security_opt'] & {}, v as Service['security_opt'] & {});
        break;
      default:
        out[k] = mergeValue(p, v);
    }
  }
  return out as Service;
}

function mergeValue(p: unknown, v: unknown): unknown {
  if (Array.isArray(p) && Array.isArray(v)) return [...new Set([...p, ...v].map((x) => JSON.stringify(x)))].map((x) => JSON.parse(x) as unknown);
  if (isPlainObject(p) && isPlainObject(v)) {
    const out: Record<string, unknown> = Object.assign(Object.create(null), p);
    for (const [k, x] of Object.entries(v)) out[k] = Object.hasOwn(p, k) && k !== 'test' ? mergeValue(p[k], x) : x;
    return out;
  }
  return v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
