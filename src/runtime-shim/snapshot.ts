import { startupSnapshot } from 'node:v8';
import { HANDOVER_FD_ENV } from './handover.js';
import { main } from './main.js';
// Loaded while the snapshot is built (main() would import them lazily): a `create` from the snapshot starts with
// the pipeline, zod and the policy presets already in the heap instead of parsing and evaluating them.
import './create.js';
import './read-config.js';
import './config.js';
import './api.js';
import '../../presets/baseline.js';
import '../../presets/restricted.js';
import { warmUp } from './warm.js';

/**
 * The entry of dist/ctnr-runtime.blob, a V8 startup snapshot `npm run build` makes for the node that built it
 * (scripts/bundle-cli.mjs). bin/ctnr-runtime.sh starts `node --no-sparkplug --no-rehash-snapshot --snapshot-blob dist/ctnr-runtime.blob -- ARGS…`
 * for a JSON, YAML or .mjs config when that node is the one it was built with: node then skips loading ~40
 * modules. An .mjs config loads through require(esm); .js and .ts configs need jiti and take the ordinary path.
 * Nothing at module level may read the machine or the process: it would be frozen into the snapshot.
 */
startupSnapshot.setDeserializeMainFunction(async () => {
  // bin/ctnr-runtime.sh set glibc's tunables for this process alone (malloc's large buffers from its heap, in huge
  // pages): glibc read them when the process started.
  if (process.env.CTNR_RUNTIME_TUNABLES) {
    delete process.env.GLIBC_TUNABLES;
    delete process.env.CTNR_RUNTIME_TUNABLES;
  }
  const self = process.env.CTNR_RUNTIME_SELF ? [process.env.CTNR_RUNTIME_SELF] : [];
  const code = await main(process.argv.slice(1), self);
  // Started by bin/ctnr-runtime.sh (the runtime named on the handover descriptor, the normal way), nothing is left
  // to wait for: every write was synchronous or awaited. Exit now rather than tear the heap down first (a few ms of
  // every create). Without that descriptor the runtime runs as a child, and the process waits for it.
  if (process.env[HANDOVER_FD_ENV]) process.exit(code);
  if (code !== 0) process.exitCode = code;
});

// Run create's pipeline once now: the snapshot keeps the compiled code and the schemas it made. A warm-up that
// fails fails the snapshot build (scripts/bundle-cli.mjs then builds none and says so).
warmUp().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
