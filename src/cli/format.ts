import { escapeControls } from '../engine/errors.js';

/**
 * Columns padded to their widest cell, two spaces apart; the last column is never padded and trailing blanks
 * are trimmed. Cells are escaped: names from a data dir, a compose file or a registry never reach a terminal raw.
 */
export function table(given: readonly (readonly string[])[]): string {
  const rows = given.map((r) => r.map((c) => escapeControls(c, true)));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (i < r.length - 1 ? (r[i] ?? '').length : 0))));
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Bytes for people: `512 B`, `1.4 MB`, `23 MB` (1024-based, as the pull progress line shows them). */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
