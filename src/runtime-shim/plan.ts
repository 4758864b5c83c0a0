import path from 'node:path';
import { createBaseSpec } from '../../presets/engines/docker-base.js';
import { dim } from '../cli/output.js';
import { CtnrError } from '../engine/errors.js';
import { escapeControls } from './errors.js';
import { loadRuntimeConfig } from './config.js';
import { findRuntimeConfig, resolveRuntime } from './locate.js';
import { specModeEngine } from './spec-mode.js';

export interface RuntimePlanOptions {
  /** The runtime config (default: CTNR_RUNTIME_CONFIG, /etc/ctnr or ~/.config/ctnr, as ctnr-runtime finds it). */
  config?: string;
  json?: boolean;
  /** Options of `ctnr plan` that have no meaning here: given, they are refused rather than ignored. */
  file?: string;
  preset?: string[];
  envFile?: string;
  profile?: string[];
  allowUnsupported?: boolean;
  imageConfig?: string;
}

/** What `plan --runtime` was given that only `ctnr plan` reads (ctnr-runtime reads no compose file, and its presets are its config's). */
function composeOnlyOptions(opts: RuntimePlanOptions): string[] {
  const given: Array<[string, boolean]> = [
    ['-f/--file', opts.file !== undefined],
    ['--preset', (opts.preset ?? []).length > 0],
    ['--env-file', opts.envFile !== undefined],
    ['--profile', (opts.profile ?? []).length > 0],
    ['--allow-unsupported', opts.allowUnsupported === true],
    ['--image-config', opts.imageConfig !== undefined],
  ];
  return given.filter(([, on]) => on).map(([name]) => name);
}

/**
 * `ctnr plan --runtime`: what ctnr-runtime runs over an engine's config.json (spec mode) — the runtime config it
 * finds, the runtime it hands over to, and per stage the plugins that run (validators, and whether they also
 * judge `exec` processes; `anySpec` mutators) and the mutators left out because they read the compose service.
 */
export async function runtimePlanCommand(opts: RuntimePlanOptions): Promise<void> {
  const ignored = composeOnlyOptions(opts);
  if (ignored.length > 0) {
    throw new CtnrError('USAGE', `plan --runtime shows ctnr-runtime's plan, which reads its runtime config (-c FILE) and no compose file: ${ignored.join(', ')} ${ignored.length > 1 ? 'are options' : 'is an option'} of ctnr plan only (a runtime config lists its own presets)`);
  }
  const file = opts.config ? path.resolve(opts.config) : findRuntimeConfig();
  if (file === undefined) {
    const runtime = resolveRuntime(undefined);
    if (opts.json) {
      process.stdout.write(JSON.stringify({ config: null, runtime, stages: [], leftOut: [] }, null, 2) + '\n');
      return;
    }
    process.stdout.write(`config: none: ctnr-runtime passes every command through to ${runtime} unchanged\n`);
    return;
  }
  const rc = await loadRuntimeConfig(file);
  const runtime = resolveRuntime(rc.runtime, { configFile: rc.file });
  const { engine, leftOut } = await specModeEngine(rc, createBaseSpec);
  const stages = engine.plan.stages.map((s) => ({
    stage: s.name,
    from: s.presetChain.join(' › '),
    plugins: [
      ...s.plugins.map((p) => ({ name: p.plugin.name, kind: 'mutator', from: p.presetChain.join(' › ') })),
      ...s.validators.map((p) => ({ name: p.plugin.name, kind: 'validator', exec: p.plugin.exec === true, from: p.presetChain.join(' › ') })),
    ],
  }));
  const out = leftOut.map((p) => ({ name: p.name, stage: p.stage, from: p.presetChain.join(' › ') }));
  if (opts.json) {
    process.stdout.write(JSON.stringify({ config: rc.file, runtime, stages, leftOut: out }, null, 2) + '\n');
    return;
  }
  const lines = [`config: ${rc.file}`, `runtime: ${runtime}`, 'runs on the config.json an engine wrote (spec mode):'];
  stages.forEach((s, i) => {
    lines.push(`${i + 1}. ${s.stage}  ${dim(`(${s.from})`)}`);
    if (s.plugins.length === 0) lines.push('     (no plugins)');
    for (const p of s.plugins) {
      const kind = 'exec' in p ? (p.exec ? ' [validator, also of exec processes]' : ' [validator]') : '';
      lines.push(`   - ${p.name}${kind}  ${dim(`from ${p.from}`)}`);
    }
  });
  if (out.length > 0) {
    lines.push('left out (they read the compose service; a plugin that reads only the spec declares `anySpec: true`):');
    for (const p of out) lines.push(`   - ${p.name} [${p.stage}]  ${dim(`from ${p.from}`)}`);
  }
  process.stdout.write(escapeControls(lines.join('\n')) + '\n');
}
