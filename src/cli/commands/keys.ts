import { KEY_POLICY, type KeyClass } from '../../compose/keys.js';
import { CtnrError } from '../../engine/errors.js';
import { dim } from '../output.js';

const CLASSES: readonly KeyClass[] = ['mapped', 'carried', 'ignored', 'refused'];

export function keysCommand(cls: string | undefined, opts: { json?: boolean }): void {
  if (cls !== undefined && !(CLASSES as readonly string[]).includes(cls)) {
    throw new CtnrError('USAGE', `unknown key class "${cls}" (expected ${CLASSES.join(', ')})`);
  }
  const rows = KEY_POLICY.filter((p) => cls === undefined || p.class === cls);
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const width = Math.max(...rows.map((r) => r.key.length));
  const lines: string[] = [];
  for (const c of CLASSES) {
    const group = rows.filter((r) => r.class === c);
    if (group.length === 0) continue;
    lines.push(`${c} (${group.length})`);
    for (const r of group) lines.push(`  ${r.key.padEnd(width)}  ${dim(r.note)}`);
  }
  lines.push('', dim('refused keys are errors; --allow-unsupported turns them into warnings. Unknown keys are errors.'));
  process.stdout.write(lines.join('\n') + '\n');
}
