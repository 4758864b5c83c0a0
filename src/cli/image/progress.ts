import type { PullProgress } from '../../image/types.js';
import { humanBytes } from '../format.js';

/**
 * Pull progress on a terminal: one line per layer being downloaded (short digest, bytes, rate), redrawn in
 * place and erased when the pull ends; nothing at all when stderr is not a terminal (logs and pipes stay clean).
 */

interface Line {
  digest: string;
  size: number;
  done: number;
  start: number;
  startBytes: number;
}


export function formatLine(l: Line, now: number): string {
  const secs = (now - l.start) / 1000;
  const rate = secs > 0.2 ? ` ${humanBytes(Math.round((l.done - l.startBytes) / secs))}/s` : '';
  return `${l.digest.replace(/^sha256:/, '').slice(0, 12)}: ${humanBytes(l.done)} / ${humanBytes(l.size)}${rate}`;
}

export function createPullProgress(stream: NodeJS.WriteStream = process.stderr): ((e: PullProgress) => void) | undefined {
  if (!stream.isTTY || process.env.TERM === 'dumb') return undefined;
  const lines = new Map<string, Line>();
  let drawn = 0;
  let last = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    let out = drawn > 0 ? `\x1b[${drawn}A\r` : '\r';
    // A pseudo-terminal without a size (script, some CI runners) reports 0 columns: that means unknown, not none.
    const width = Math.max(20, (stream.columns || 80) - 1);
    for (const l of lines.values()) out += `\x1b[K${formatLine(l, now).slice(0, width)}\n`;
    // Lines of finished layers are gone: clear what is left below.
    out += '\x1b[J';
    drawn = lines.size;
    stream.write(out);
  };
  process.once('exit', () => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A\r\x1b[J`);
  });
  return (e) => {
    if (e.kind === 'blob-start') {
      lines.set(e.digest, { digest: e.digest, size: e.size, done: e.offset, start: Date.now(), startBytes: e.offset });
      draw(true);
    } else if (e.kind === 'blob-progress') {
      const l = lines.get(e.digest);
      if (l) l.done = e.done;
      draw(false);
    } else if (e.kind === 'blob-done') {
      if (lines.delete(e.digest)) draw(true);
    }
  };
}

let shared: ((e: PullProgress) => void) | undefined | null = null;

/** One renderer per process (commands that pull several images share it). */
export function pullProgress(): ((e: PullProgress) => void) | undefined {
  if (shared === null) shared = createPullProgress();
  return shared;
}
