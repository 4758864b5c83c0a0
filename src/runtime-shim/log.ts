import { appendFileSync } from 'node:fs';
import { escapeControls } from './errors.js';

/**
 * ctnr-runtime's messages go where the real runtime's would: stderr, prefixed `ctnr: `, and the `--log` file in
 * runc's format, because that file is what the engines show when create fails (containerd and the kubelet take
 * the last `error` entry of the JSON log; podman reads the log, or the runtime's stderr when the log is not one
 * JSON object).
 */
export type LogLevel = 'error' | 'warning' | 'info';

export interface LogTarget {
  /** `--log FILE`. */
  log?: string;
  /** `--log-format`: `json`, else runc's default text format. */
  logFormat?: string;
  stderr?: (text: string) => void;
}

/** RFC 3339 with the local offset and no fraction, as logrus writes it (`2024-05-01T12:00:00+02:00`). */
export function rfc3339(date = new Date()): string {
  const pad = (n: number) => String(Math.abs(n)).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const zone = offset === 0 ? 'Z' : `${offset > 0 ? '+' : '-'}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`;
}

/** One log entry in runc's format: `{"level":"error","msg":"…","time":"…"}`, or logrus text. */
export function logEntry(level: LogLevel, msg: string, format: string | undefined, time = rfc3339()): string {
  if (format === 'json') return JSON.stringify({ level, msg, time }) + '\n';
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

/**
 * Write `lines` (each a `policy …` line or a line of an error) to stderr as `ctnr: …` lines and to the log, one
 * entry each. With `combine` and several lines, a last entry holds them all: containerd and the kubelet show only
 * the last error entry. A log that cannot be written costs the log, not the message: stderr still has it.
 */
export function report(target: LogTarget, level: LogLevel, lines: readonly string[], combine = false): void {
  if (lines.length === 0) return;
  const write = target.stderr ?? ((t: string) => process.stderr.write(t));
  const safe = lines.map((l) => escapeControls(`ctnr: ${l}`));
  write(safe.map((l) => l + '\n').join(''));
  if (!target.log) return;
  const time = rfc3339();
  const entries = safe.map((l) => logEntry(level, l, target.logFormat, time));
  if (combine && lines.length > 1) entries.push(logEntry(level, escapeControls(`ctnr: ${lines.join('; ')}`), target.logFormat, time));
  try {
    appendFileSync(target.log, entries.join(''));
  } catch {
    // the log's directory is gone or read-only: stderr has the message
  }
}
