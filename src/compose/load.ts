import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CtnrError, didYouMean, renderPath } from '../errors.js';
import type { Diagnostic, Project, ServiceSource } from '../types.js';
import type { ServiceInput } from '../engine.js';
import type { ImageConfig } from '../image/config.js';
import { PositionIndex } from './positions.js';
import { serviceSchema, serviceShape, type Service } from './service.js';

export const DEFAULT_COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

export interface ComposeProject {
  /** Absolute path of the compose file. */
  file: string;
  /** How errors name the file: relative to the cwd when inside it. */
  displayFile: string;
  dir: string;
  name: string;
  services: Record<string, Record<string, unknown>>;
  project: Project;
  positions: PositionIndex;
  /** Variables used for `KEY`-only environment entries (process environment). */
  environment: Readonly<Record<string, string | undefined>>;
}

export interface LoadOptions {
  cwd?: string;
  environment?: Readonly<Record<string, string | undefined>>;
}

export function findComposeFile(cwd: string): string {
  for (const name of DEFAULT_COMPOSE_FILES) {
    const candidate = path.join(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new CtnrError('COMPOSE_NOT_FOUND', `no compose file found in ${cwd} (looked for ${DEFAULT_COMPOSE_FILES.join(', ')}); pass -f FILE`);
}

export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function loadComposeFile(fileArg: string | undefined, options: LoadOptions = {}): ComposeProject {
  const cwd = options.cwd ?? process.cwd();
  const file = fileArg ? path.resolve(cwd, fileArg) : findComposeFile(cwd);
  const displayFile = displayPath(file, cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CtnrError('COMPOSE_NOT_FOUND', `cannot read compose file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      location: { file: displayFile },
    });
  }
  return parseCompose(text, file, displayFile, options);
}

export function parseCompose(text: string, file: string, displayFile: string, options: LoadOptions = {}): ComposeProject {
  const counter = new LineCounter();
  const doc = parseDocument(text, { merge: true, lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new CtnrError('COMPOSE_INVALID', e.message.split('\n')[0]!, {
      location: { file: displayFile, line: pos?.line, col: pos?.col },
    });
  }
  const positions = new PositionIndex(displayFile, doc, counter);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new CtnrError('COMPOSE_INVALID', (err as Error).message, { location: { file: displayFile } });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CtnrError('COMPOSE_INVALID', 'a compose file must be a mapping with a "services" key', { location: { file: displayFile, line: 1, col: 1 } });
  }
  const top = raw as Record<string, unknown>;
  const services = top.services;
  if (services === undefined || services === null || typeof services !== 'object' || Array.isArray(services)) {
    throw new CtnrError('COMPOSE_INVALID', '"services" must be a mapping of service names to services', {
      path: 'services',
      location: positions.locate(['services']),
    });
  }
  const dir = path.dirname(file);
  const table = (key: string) => {
    const v = top[key];
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  };
  const name = typeof top.name === 'string' && top.name !== '' ? top.name : projectNameFromDir(dir);
  return {
    file,
    displayFile,
    dir,
    name,
    services: services as Record<string, Record<string, unknown>>,
    project: { name, volumes: table('volumes'), networks: table('networks'), secrets: table('secrets'), configs: table('configs') },
    positions,
    environment: options.environment ?? process.env,
  };
}

/** Compose's default project name: the directory name, lower-cased, only [a-z0-9_-]. */
export function projectNameFromDir(dir: string): string {
  return path.basename(dir).toLowerCase().replace(/[^a-z0-9_-]/g, '') || 'default';
}

const KNOWN_KEYS = new Set(Object.keys(serviceShape));

export interface SelectedService {
  input: ServiceInput;
  diagnostics: Diagnostic[];
}

/** Validate and normalise one service of a loaded file. Errors carry file:line:col and the key path. */
export function selectService(project: ComposeProject, name: string, image?: ImageConfig): SelectedService {
  const raw = project.services[name];
  if (raw === undefined) {
    const names = Object.keys(project.services);
    throw new CtnrError('SERVICE_NOT_FOUND', `no service "${name}" in ${project.displayFile} (services: ${names.join(', ') || 'none'})`);
  }
  const base = ['services', name];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CtnrError('SERVICE_INVALID', 'a service must be a mapping', { path: base, location: project.positions.locate(base) });
  }
  const parsed = serviceSchema.safeParse(raw);
  if (!parsed.success) throw zodToError(parsed.error, base, project.positions);
  const data = parsed.data as Record<string, unknown> & { environment?: Array<[string, string | null]> };

  const diagnostics: Diagnostic[] = [];
  const unknown = Object.keys(raw).filter((k) => !KNOWN_KEYS.has(k) && !k.startsWith('x-'));
  if (unknown.length > 0) {
    diagnostics.push({
      level: 'warning',
      code: 'KEY_IGNORED',
      message: `keys not used by ctnr yet: ${unknown.join(', ')}`,
      path: renderPath(base),
      location: project.positions.locate(base),
    });
  }

  // `KEY` without a value: compose takes it from the environment of the command, and drops it when unset.
  const environment: Array<[string, string]> = [];
  for (const [k, v] of data.environment ?? []) {
    const value = v ?? project.environment[k];
    if (value !== undefined) environment.push([k, value]);
  }
  const service = { ...data, environment } as Service;
  if (data.environment === undefined) delete service.environment;
  resolveServicePaths(service, project.dir, project.environment.HOME ?? process.env.HOME ?? '/');
  checkReferences(service, project, base);

  const source: ServiceSource = {
    file: project.file,
    dir: project.dir,
    locate: (segs) => project.positions.locate([...base, ...segs]),
  };
  return { input: { name, service, project: project.project, source, ...(image ? { image } : {}) }, diagnostics };
}

export function zodToError(error: z.ZodError, base: ReadonlyArray<string | number>, positions: PositionIndex): CtnrError {
  const render = (issue: z.core.$ZodIssue) => {
    const segs = [...base, ...(issue.path as Array<string | number>)];
    return { segs, path: renderPath(segs), message: issueMessage(issue) };
  };
  const [first, ...rest] = error.issues.map(render);
  return new CtnrError('SERVICE_INVALID', first!.message, {
    path: first!.path,
    location: positions.locate(first!.segs),
    details: rest.map((r) => {
      const loc = positions.locate(r.segs);
      return `${loc.file}:${loc.line ?? '?'}:${loc.col ?? '?'} ${r.path}: ${r.message}`;
    }),
  });
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined) return 'is required';
  if (issue.code === 'invalid_union') {
    const input = (issue as { input?: unknown }).input;
    return `${JSON.stringify(input)} is not valid here (${issue.message.toLowerCase()})`;
  }
  return issue.message;
}

/** `~` → HOME, relative → against the compose directory (never the process cwd). */
export function resolveHostPath(p: string, dir: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return path.resolve(dir, p);
}

/** Make every host path of a normalised service absolute (bind sources, env files, label files). */
export function resolveServicePaths(service: Service, dir: string, home: string): void {
  if (service.volumes) {
    service.volumes = service.volumes.map((v) => (v.type === 'bind' && v.source !== undefined ? { ...v, source: resolveHostPath(v.source, dir, home) } : v));
  }
  if (service.env_file) service.env_file = service.env_file.map((e) => ({ ...e, path: resolveHostPath(e.path, dir, home) }));
  if (service.label_file) service.label_file = service.label_file.map((f) => resolveHostPath(f, dir, home));
}

/** Named volumes, networks, secrets and configs must be declared at the top level, as compose requires. */
function checkReferences(service: Service, project: ComposeProject, base: string[]): void {
  const fail = (what: string, name: string, table: Record<string, unknown>, segs: Array<string | number>) => {
    const declared = Object.keys(table);
    throw new CtnrError('SERVICE_INVALID', `${what} "${name}" is not declared in the top-level "${what}s:" table${didYouMean(name, declared)}`, {
      path: [...base, ...segs],
      location: project.positions.locate([...base, ...segs]),
    });
  };
  service.volumes?.forEach((v, i) => {
    if (v.type === 'volume' && v.source !== undefined && !(v.source in project.project.volumes)) fail('volume', v.source, project.project.volumes, ['volumes', i]);
  });
  if (service.networks) {
    for (const n of Object.keys(service.networks)) if (n !== 'default' && !(n in project.project.networks)) fail('network', n, project.project.networks, ['networks', n]);
  }
  service.secrets?.forEach((s, i) => {
    if (!(s.source in project.project.secrets)) fail('secret', s.source, project.project.secrets, ['secrets', i]);
  });
  service.configs?.forEach((c, i) => {
    if (!(c.source in project.project.configs)) fail('config', c.source, project.project.configs, ['configs', i]);
  });
}
