import { spawn } from 'node:child_process';

export interface Collected {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started. */
  error?: Error;
}

/**
 * Run `program ARGS…` (a runtime's `run` or `exec` of a hook) to its end with no stdin, keeping its stdout and stderr
 * and handing each complete line of either to `onLine` as it comes (a stream's last line without a newline at the end).
 */
export function runCollecting(program: string, args: readonly string[], onLine: (line: string) => void): Promise<Collected> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const text = { out: '', err: '' };
    // Per stream: a line half written on stdout must not be joined to what stderr writes meanwhile.
    const partial = { out: '', err: '' };
    const feed = (d: Buffer, into: 'out' | 'err') => {
      const s = d.toString('utf8');
      text[into] += s;
      const lines = (partial[into] + s).split('\n');
      partial[into] = lines.pop()!;
      for (const l of lines) onLine(l);
    };
    child.stdout.on('data', (d: Buffer) => feed(d, 'out'));
    child.stderr.on('data', (d: Buffer) => feed(d, 'err'));
    child.on('error', (error) => resolve({ status: null, signal: null, stdout: text.out, stderr: text.err, error }));
    child.on('close', (status, signal) => {
      for (const p of [partial.out, partial.err]) if (p !== '') onLine(p);
      resolve({ status, signal, stdout: text.out, stderr: text.err });
    });
  });
}

/** The last lines of a hook's output, as compose keeps them (10 lines, 2 KiB). */
export function outputTail(text: string): string {
  const lines = text.trimEnd().split('\n').slice(-10).join('\n');
  return lines.length > 2048 ? lines.slice(-2048) : lines;
}
