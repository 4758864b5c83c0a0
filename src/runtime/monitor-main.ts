import { superviseContainer } from './monitor.js';

/**
 * Entry of the restart monitor (src/runtime/monitor.ts), started by src/runtime/run.ts as
 * `node monitor-main RUN_ROOT ID [HANDSHAKE_FD]` in a session of its own. Built to dist/monitor.cjs for the CLI
 * bundle: it loads none of the CLI, so a monitor costs little more memory than node itself.
 */
const [root, id, fd] = process.argv.slice(2);
if (!root || !id) {
  process.stderr.write('usage: monitor-main RUN_ROOT ID [HANDSHAKE_FD]\n');
  process.exit(2);
}
superviseContainer(id, root, fd === undefined ? undefined : Number(fd)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`ctnr monitor of ${id}: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
