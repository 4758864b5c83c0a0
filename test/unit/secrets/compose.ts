import path from 'node:path';
import type { Result } from '../../../src/engine/engine.js';
import type { CtnrError } from '../../../src/engine/errors.js';
import type { Plugin } from '../../../src/engine/types.js';
import { composeError as composeErrorIn, mountAt, runCompose as runComposeIn, type RunOptions } from '../../helpers/engine.js';
import { REPO } from '../../helpers/shared.js';

/** A compose directory with `db_password.txt`, `app.conf` and a directory `adir`. */
export const PROJECT_DIR = path.join(REPO, 'test/fixtures/secrets/project');

export type SecretRunOptions = RunOptions;

/** Run `svc` with the given top level in PROJECT_DIR (see runCompose in test/helpers/engine.ts). */
export function runCompose(service: Record<string, unknown>, top: Record<string, unknown> = {}, options: SecretRunOptions = {}): Promise<Result> {
  return runComposeIn(service, top, { dir: PROJECT_DIR, ...options });
}

export function composeError(service: Record<string, unknown>, top: Record<string, unknown> = {}, options: SecretRunOptions = {}): Promise<CtnrError> {
  return composeErrorIn(service, top, { dir: PROJECT_DIR, ...options });
}

export { mountAt };

/** A stand-in for the rootless stage: writes user-namespace id mappings. */
export function idMappings(uid: Array<[number, number, number]>, gid: Array<[number, number, number]> = uid): Plugin {
  const map = (l: Array<[number, number, number]>) => l.map(([containerID, hostID, size]) => ({ containerID, hostID, size }));
  return {
    name: 'test:userns',
    stage: 'rootless',
    apply: () => [
      { op: 'add', path: '/linux/uidMappings', value: map(uid) },
      { op: 'add', path: '/linux/gidMappings', value: map(gid) },
    ],
  };
}

/** The bundle files ctnr:secrets and ctnr:configs declared (other stages declare /etc/hosts & co.). */
export function ownFiles(result: Result) {
  return result.files.filter((f) => f.plugin === 'ctnr:secrets' || f.plugin === 'ctnr:configs');
}
