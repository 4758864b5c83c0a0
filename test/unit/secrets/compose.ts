import path from 'node:path';
import type { Result } from '../../../src/engine/engine.js';
import type { CtnrError } from '../../../src/engine/errors.js';
import type { Plugin } from '../../../src/engine/types.js';
import type { TestPluginResult } from '../../../src/plugin-kit/test-plugin.js';
import type { Spec } from '../../../src/spec/types.js';
import { composeError as composeErrorIn, mountAt, runCompose as runComposeIn, testPluginYaml, type RunOptions } from '../../helpers/engine.js';
import { specWith } from '../../helpers/plugin-table-b.js';
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

/** One plugin alone (testPluginYaml) on `svc` with the given top level in PROJECT_DIR. */
export function runPlugin(plugin: Plugin, service: Record<string, unknown>, top: Record<string, unknown> = {}, options: SecretRunOptions & { spec?: Spec } = {}): Promise<TestPluginResult> {
  return testPluginYaml(plugin, service, { environment: {}, dir: PROJECT_DIR, ...options, top });
}

export { mountAt };

/** The spec the rootless stage leaves: user-namespace id mappings `[containerID, hostID, size]`. */
export function idMappings(uid: Array<[number, number, number]>, gid: Array<[number, number, number]> = uid): Spec {
  const map = (l: Array<[number, number, number]>) => l.map(([containerID, hostID, size]) => ({ containerID, hostID, size }));
  return specWith((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = map(uid);
    s.linux!.gidMappings = map(gid);
  });
}

/** The bundle files ctnr:secrets and ctnr:configs declared (other stages declare /etc/hosts & co.). */
export function ownFiles(result: Pick<Result, 'files'>) {
  return result.files.filter((f) => f.plugin === 'ctnr:secrets' || f.plugin === 'ctnr:configs');
}
