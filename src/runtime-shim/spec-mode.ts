import path from 'node:path';
import { resolvePresetRefs } from '../config/load.js';
import { BUILTIN_PRESET_LOADERS } from '../../presets/builtin.js';
import { createEngine, resolvePlan, type Engine, type Plan, type Preset, type Spec } from './lib.js';
import type { RuntimeConfig } from './config.js';
import { shippedPreset } from '../engine/reserved.js';

/**
 * Spec mode: the pipeline starts from a config.json an engine wrote instead of a compose service. What runs:
 * every validator (baseline, restricted, an organisation's), the mutators that declare `anySpec: true` (they
 * read only `ctx.spec` and `ctx.env`; the restricted preset's fix plugins do) — and nothing else: a mutator that
 * reads `ctx.service` would see an empty service and undo the engine's choices. Those are left out by name, the
 * way `disable` leaves a plugin out, so ordering references to them drop as usual.
 */

/** The nine stages (presets/default.ts DEFAULT_STAGES; a test holds the two equal). Declared here so a config
 * naming only `baseline` or `restricted` has the stages they place theirs after, without loading every plugin. */
export const SPEC_MODE_STAGES = ['process', 'rootless', 'mounts', 'privileged', 'cgroups', 'annotations', 'seccomp', 'network', 'hooks'] as const;

export interface LeftOut {
  name: string;
  stage: string;
  presetChain: readonly string[];
}

export interface SpecModeEngine {
  engine: Engine;
  /** Mutators not run in spec mode (they need a compose service), in plan order. */
  leftOut: LeftOut[];
  /** The plan with every mutator, before leaving any out (what `ctnr plan --runtime` compares against). */
  full: Plan;
}

/**
 * The engine for spec mode from a runtime config. `baseSpec` gives the spec the first plugin sees: the engine's
 * config.json (its values are owned by `ctnr:base` in the trace). `judging: 'exec'`: that spec carries the process
 * of an exec, and only the validators that declare `exec` run (with the same mutators as for a container).
 */
export async function specModeEngine(rc: RuntimeConfig, baseSpec: () => Spec, judging: 'container' | 'exec' = 'container'): Promise<SpecModeEngine> {
  const c = rc.config;
  const declared = c.presets ?? [];
  // Named built-in presets load only when named (the default preset pulls in every plugin).
  const presets = await resolvePresetRefs(declared, path.dirname(rc.file), rc.file, BUILTIN_PRESET_LOADERS);
  const stages: Preset = shippedPreset({ name: 'ctnr:runtime-stages', stages: [...SPEC_MODE_STAGES] });
  const options = {
    name: rc.file,
    presets: [stages, ...presets],
    plugins: c.plugins ?? [],
    stages: c.stages ?? [],
  };
  // The plan alone (createEngine's own first step): this engine would never run.
  const full = resolvePlan({ ...options, disable: c.disable ?? [] });
  const leftOut: LeftOut[] = [];
  for (const stage of full.stages) {
    for (const p of stage.plugins) {
      if (p.plugin.anySpec !== true) leftOut.push({ name: p.plugin.name, stage: stage.name, presetChain: p.presetChain });
    }
  }
  // Judging an exec's process: only the validators that declare they judge those (Plugin.exec).
  const notForExec = judging === 'exec' ? full.stages.flatMap((s) => s.validators.filter((p) => p.plugin.exec !== true).map((p) => p.plugin.name)) : [];
  const engine = createEngine({ ...options, disable: [...(c.disable ?? []), ...leftOut.map((p) => p.name), ...notForExec], baseSpec });
  return { engine, leftOut, full };
}
