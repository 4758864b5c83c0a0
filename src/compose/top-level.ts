import path from 'node:path';
import { CtnrError, didYouMean } from '../engine/errors.js';
import type { Diagnostic, Project } from '../engine/types.js';
import { resolveHostPath } from './files.js';
import { checkProjectName, checkServiceName, SERVICE_NAME } from './names.js';
import type { Positions } from './positions.js';
import { isLazyMap } from './lazy-map.js';
import { KEY_LIKE } from './yaml.js';

/** Top-level keys of a compose file (compose-spec), besides `x-*` extensions. */
const TOP_LEVEL_KEYS = ['version', 'name', 'include', 'services', 'networks', 'volumes', 'secrets', 'configs', 'models'];

/** What the top level of one (interpolated) compose file declares. */
export interface TopLevel {
  /** `name:`, else made from the directory name. */
  name: string;
  /** Raw services by name (names checked; `x-*` entries left out); a prototype-less map. */
  services: Record<string, Record<string, unknown>>;
  /** The top-level tables services refer to; secrets/configs `file:` entries absolute. */
  project: Project;
  /** Warnings about the file itself (the obsolete `version`). */
  diagnostics: Diagnostic[];
}

/**
 * The top level of a compose file: only compose's keys (and `x-*`), `services` a mapping (it may be missing
 * when the file has `include`), the tables mappings, names checked. `dir` is the file's directory, `home` the
 * HOME that `~` stands for.
 */
export function readTopLevel(top: Record<string, unknown>, dir: string, home: string, positions: Positions): TopLevel {
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
  // Service names are user keys: maps without a prototype keep `__proto__` and have no `toString`. The services of
  // a file read in parts are such a map already, without `x-*` entries, whose entries are parsed when read: it is
  // used as it is (copying would read them all).
  const lazy = isLazyMap(services);
  const serviceMap = (lazy ? services : Object.create(null)) as Record<string, Record<string, unknown>>;
  for (const k of Object.keys(services)) {
    if (k.startsWith('x-')) continue;
    // Located only when it fails: a file of 5,000 valid names looks none of them up.
    if (!SERVICE_NAME.test(k)) checkServiceName(k, { path: ['services', k], location: positions.locate(['services', k]) });
    if (!lazy) serviceMap[k] = (services as Record<string, Record<string, unknown>>)[k]!;
  }
  const project: Project = {
    name,
    volumes: table('volumes'),
    networks: table('networks'),
    secrets: resolveFileTable(table('secrets'), dir, home),
    configs: resolveFileTable(table('configs'), dir, home),
  };
  return { name, services: serviceMap, project, diagnostics };
}

/** `name:` (checked with compose's rule), else the directory name made into one. */
function projectName(value: unknown, dir: string, positions: Positions): string {
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
