import { loadConfig } from '../../config/load.js';
import { engineFromConfig } from '../../project.js';
import { dim } from '../output.js';
import type { CommonOptions } from './common.js';
import { loadProjectFile } from './project-file.js';

export async function planCommand(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const compose = loadProjectFile(opts);
  const config = await loadConfig(compose.dir, opts.config);
  const engine = await engineFromConfig(config, compose.dir, opts.preset ?? []);
  const stages = engine.plan.stages.map((s) => ({
    stage: s.name,
    from: s.presetChain.join(' › '),
    plugins: [...s.plugins, ...s.validators].map((p) => ({
      name: p.plugin.name,
      kind: p.plugin.apply ? 'mutator' : 'validator',
      ...(p.plugin.enforce ? { enforce: p.plugin.enforce } : {}),
      ...(p.plugin.before?.length ? { before: p.plugin.before } : {}),
      ...(p.plugin.after?.length ? { after: p.plugin.after } : {}),
      from: p.presetChain.join(' › '),
    })),
  }));
  if (opts.json) {
    process.stdout.write(JSON.stringify({ config: config.file ?? null, stages, disabled: engine.plan.disabled.map((d) => ({ name: d.name, by: d.presetChain.join(' › ') })) }, null, 2) + '\n');
    return;
  }
  const lines = [`config: ${config.file ?? '(none: built-in defaults)'}`];
  stages.forEach((s, i) => {
    lines.push(`${i + 1}. ${s.stage}  ${dim(`(${s.from})`)}`);
    if (s.plugins.length === 0) lines.push('     (no plugins)');
    for (const p of s.plugins) {
      const order = [p.enforce ? `enforce ${p.enforce}` : '', p.after ? `after ${p.after.join(', ')}` : '', p.before ? `before ${p.before.join(', ')}` : '']
        .filter(Boolean)
        .join('; ');
      lines.push(`   - ${p.name}${p.kind === 'validator' ? ' [validator]' : ''}${order ? ` {${order}}` : ''}  ${dim(`from ${p.from}`)}`);
    }
  });
  for (const d of engine.plan.disabled) lines.push(`disabled: ${d.name}  ${dim(`by ${d.presetChain.join(' › ')}`)}`);
  process.stdout.write(lines.join('\n') + '\n');
}
