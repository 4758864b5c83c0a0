import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError, type SourceLocation } from '../engine/errors.js';
import { describeErrno, errnoCode } from '../linux/errno.js';
import { READ_REASONS, readRegularFile } from '../linux/read-file.js';
import type { Service } from './service.js';

/** How errors name a file: relative to `cwd` when inside it, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * A compose or env file's text. Files a compose file names (extends, include, their env files) must be regular
 * files of bounded size (see readRegularFile): a hostile file must not make ctnr read /dev/zero or wait on a FIFO. `at` says
 * where the file is named, asked only for an error.
 */
export function readProjectFile(file: string, displayFile: string, at?: () => SourceLocation, keyPath?: string, regularOnly = true): string {
  try {
    return regularOnly ? readRegularFile(file) : readFileSync(file, 'utf8');
  } catch (err) {
    const reason = regularOnly && READ_REASONS[errnoCode(err) ?? ''] ? describeErrno(err, READ_REASONS) : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    throw new CtnrError('COMPOSE_NOT_FOUND', `cannot read ${displayFile}: ${reason}`, {
      location: at?.() ?? { file: displayFile },
      ...(keyPath ? { path: keyPath } : {}),
    });
  }
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
