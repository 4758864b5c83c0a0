import { spawnSync } from 'node:child_process';
import { closeSync, constants, lstatSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import { RotatingLog } from './log-file.js';

/** The name the pump's FIFO has in the bundle while it is opened (the name goes at once). */
export const OUTPUT_FIFO = 'ctnr-output.fifo';

/**
 * A container's stdout and stderr through a pipe into its rotating log (what conmon does for podman). The pipe is
 * a FIFO, not the socket pair node makes for a child's stdio: a program that opens /dev/stdout (nginx's image
 * links its logs there) can open a pipe again, never a socket. The FIFO's name is removed as soon as both ends
 * are open; the pump keeps a write end of its own, so the pipe stays open between the runs of a restart policy.
 * `finish()` drops that end; the pump ends when every process of the container has closed its copy.
 */
export class OutputPump {
  /** The end the runtime is given as the container's stdout and stderr. */
  readonly writeFd: number;
  private readonly done: Promise<void>;
  private finished = false;

  private constructor(writeFd: number, readFd: number, log: RotatingLog) {
    this.writeFd = writeFd;
    const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
    let failed = false;
    this.done = new Promise<void>((resolve) => {
      reader.on('data', (chunk: Buffer) => {
        try {
          log.write(chunk);
        } catch (err) {
          // A full disk or a removed bundle must not stop the container: its output is dropped, reading goes on
          // (a pipe nobody reads would block its writes), and the reason is said once (the monitor's stderr).
          if (!failed) process.stderr.write(`ctnr: the container's output is no longer kept: ${(err as Error).message}\n`);
          failed = true;
        }
      });
      reader.on('close', () => {
        try {
          log.close();
        } catch {
          /* its descriptor went with a failed rotation */
        }
        resolve();
      });
      reader.on('error', () => reader.destroy());
    });
  }

  /** A pump into `log` (rotated at `maxBytes`, `maxFiles` kept) through a FIFO made at `fifo` (a stale FIFO there is replaced). */
  static open(fifo: string, log: string, maxBytes: number | undefined, maxFiles: number): OutputPump {
    // One left by a monitor that was killed before it could remove it.
    if (lstatSync(fifo, { throwIfNoEntry: false })?.isFIFO()) rmSync(fifo);
    const made = spawnSync('mkfifo', ['-m', '600', fifo], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (made.error || made.status !== 0) throw new Error(`cannot make the pipe for the container's output (mkfifo ${fifo}): ${made.error?.message ?? made.stderr.trim()}`);
    const opened: number[] = [];
    try {
      const rotating = new RotatingLog(log, maxBytes, maxFiles);
      // The read end first, without waiting for a writer; then the write end, which a reader lets open at once.
      opened.push(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW));
      opened.push(openSync(fifo, constants.O_WRONLY | constants.O_NOFOLLOW));
      return new OutputPump(opened[1]!, opened[0]!, rotating);
    } catch (err) {
      for (const fd of opened) closeSync(fd);
      throw err;
    } finally {
      rmSync(fifo, { force: true });
    }
  }

  /** Drop the pump's own write end and wait until everything written is in the log. */
  async finish(): Promise<void> {
    if (!this.finished) {
      this.finished = true;
      closeSync(this.writeFd);
    }
    await this.done;
  }
}
