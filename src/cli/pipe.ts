/**
 * `ctnr spec web | head`: once the reader is gone, a write fails with EPIPE (Node ignores SIGPIPE, so the
 * process is not killed as `cat` would be) and the stream emits an 'error' nobody handles, which crashed
 * with "Unhandled 'error' event". Like other CLIs, stop quietly instead: the output was not wanted any more.
 * Exit status 0, so `set -o pipefail` scripts piping into `head` keep working.
 */
export function exitQuietlyOnClosedPipe(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}
