import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../../engine/errors.js';
import type { LoadedConfig } from '../../config/load.js';
import type { ContainerRecord } from '../../runtime/state.js';
import type { Spec } from '../../spec/types.js';
import { note } from './notes.js';

/** A process about to start in a running container, as the project's policy has it (or an error refusing it). */
export type ExecJudge = (rec: Pick<ContainerRecord, 'id' | 'bundle' | 'service' | 'dataDir'>, proc: Record<string, unknown>, what: string) => Promise<Record<string, unknown>>;

/**
 * The judge of processes ctnr starts in running containers (`ctnr exec`, `post_start` and `pre_stop` hooks): the
 * validators that judge exec processes (the policy presets' do) run on the container's spec with the process in it,
 * after the fixes that run on any spec (`restricted` with `fix: true` drops capabilities from it too), as ctnr-runtime
 * judges `podman exec`. Presets: the config's (`default` when it names none) and `extra` (`--preset`, as `up` had
 * them). An enforced violation refuses the process, naming `what` and the control; warnings are notes. The config is
 * loaded on the first process judged.
 */
export function execJudge(composeDir: string, config: LoadedConfig | (() => Promise<LoadedConfig>), extra: readonly string[] = []): ExecJudge {
  let loaded: Promise<LoadedConfig> | undefined;
  return async (rec, proc, what) => {
    const c = await (loaded ??= typeof config === 'function' ? config() : Promise.resolve(config));
    const [{ judgeSpec }, { containerInfo }, { createEnv }] = await Promise.all([
      import('../../runtime-shim/create.js'),
      import('../../runtime-shim/container.js'),
      import('../../linux/env.js'),
    ]);
    const spec = JSON.parse(readFileSync(path.join(rec.bundle, 'config.json'), 'utf8')) as Spec;
    // `--preset ./x.mjs` is relative to the compose file's directory, as `up` takes it; the config's are relative to it.
    const presets = [...(c.config.presets ?? ['default']), ...extra.map((p) => (p.startsWith('./') || p.startsWith('../') ? path.resolve(composeDir, p) : p))];
    const rc = { file: c.file ?? path.join(composeDir, 'ctnr.config'), config: { ...c.config, presets } };
    // Exemptions name services, as for up: the container is judged as its service.
    const container = { ...containerInfo(rec.id, rec.bundle, spec), name: rec.service };
    const root = typeof spec.root?.path === 'string' ? path.resolve(rec.bundle, spec.root.path) : undefined;
    const env = createEnv({ dataDir: rec.dataDir ?? rec.bundle, ...(root ? { rootfs: root } : {}), container });
    const judged = await judgeSpec(rc, { ...spec, process: proc as unknown as Spec['process'] }, container, env, 'exec');
    for (const w of judged.warnings) note(`${what}: ${w}`);
    if (judged.enforced.length > 0) {
      const [first, ...rest] = judged.enforced;
      throw new CtnrError('POLICY_VIOLATION', `${what} refused: ${first}`, rest.length > 0 ? { details: rest } : {});
    }
    return judged.spec.process as unknown as Record<string, unknown>;
  };
}
