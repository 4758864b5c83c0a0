/**
 * One status line for slow steps (unpacking, generating, starting) on a terminal, rewritten in place and
 * cleared when done; silent when stderr is not a TTY, so logs and pipes stay clean.
 */
export interface Progress {
  step(label: string): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || process.env.TERM === 'dumb') return { step() {}, done() {} };
  let shown = false;
  return {
    step(label) {
      stream.write(`\r\x1b[K${label}…`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
