import { escapeControls, formatError, isCtnrError } from '../engine/errors.js';
import type { Diagnostic } from '../engine/types.js';

/** Color only on a terminal, never with NO_COLOR set (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && process.env.TERM !== 'dumb';
}

const paint = (code: string) => (s: string) => (useColor(process.stderr) ? `\x1b[${code}m${s}\x1b[0m` : s);
export const red = paint('31');
export const yellow = paint('33');
export const dim = paint('2');

export function printDiagnostics(list: readonly Diagnostic[]): void {
  for (const d of list) {
    const loc = d.location ? `${d.location.file}${d.location.line ? `:${d.location.line}:${d.location.col ?? 1}` : ''} ` : '';
    const who = d.plugin ? `[${d.plugin}] ` : '';
    const label = d.level === 'error' ? red('error') : yellow('warning');
    // Locations, paths and messages quote the compose file: escaped, so they cannot drive the terminal.
    process.stderr.write(`${label}: ${escapeControls(`${loc}${who}${d.path ? d.path + ': ' : ''}${d.message}`)}\n`);
  }
}

export function printError(err: unknown): void {
  process.stderr.write(`${red('error')}: ${formatError(err)}\n`);
}

/** Exit code for an error: 2 for usage, 1 for anything the user can fix, 70 for a bug in ctnr. */
export function exitCodeFor(err: unknown): number {
  if (isCtnrError(err)) return err.code === 'USAGE' ? 2 : 1;
  return 70;
}

/** `-o FILE` / `--report FILE`: a shell redirect's rules, a regular file replaced atomically (see output-file.ts). */
export { writeOutputFile as writeFileAtomic } from './output-file.js';

export function specJson(spec: unknown, compact: boolean): string {
  return compact ? JSON.stringify(spec) + '\n' : JSON.stringify(spec, null, 2) + '\n';
}
