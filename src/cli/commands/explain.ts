import type { TraceEntry } from '../../engine/types.js';
import { CtnrError, escapeControls } from '../../engine/errors.js';
import { generate, type CommonOptions } from './common.js';

function describe(t: TraceEntry): string {
  const value = 'value' in t.op ? ' ' + JSON.stringify((t.op as { value: unknown }).value) : '';
  const over = (t.overrode ? ` (overrode ${t.overrode})` : '') + (t.source ? ` from ${t.source}` : '');
  // Pointers and values carry compose keys and values: escaped (JSON.stringify leaves C1 controls raw).
  return escapeControls(`${t.op.op} ${t.pointer}${value.length > 120 ? value.slice(0, 117) + '...' : value}  by ${t.plugin} [${t.stage}; ${t.presetChain.join(' › ')}]${over}`, true);
}

export async function explainCommand(service: string, pointer: string | undefined, opts: CommonOptions & { json?: boolean }): Promise<void> {
  const { result } = await generate(opts, service);
  if (pointer !== undefined && pointer !== '' && !pointer.startsWith('/')) {
    throw new CtnrError('USAGE', `"${pointer}" is not a JSON pointer (it starts with "/", e.g. /process/args)`);
  }
  const entries = pointer === undefined ? result.trace : result.blame(pointer);
  if (opts.json) {
    process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
    return;
  }
  if (pointer !== undefined && entries.length === 0) {
    process.stdout.write(`${escapeControls(pointer, true)}: no plugin wrote it (base spec value or absent)\n`);
    return;
  }
  process.stdout.write(entries.map(describe).join('\n') + (entries.length ? '\n' : ''));
}
