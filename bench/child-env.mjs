import path from 'node:path';

// The environment the bench gives the ctnr processes it times: the caller's, less what changes how node itself
// starts. NODE_OPTIONS could add flags or preloads; NODE_EXTRA_CA_CERTS makes every node process read a CA file
// at startup (about 50 ms on a machine that sets it for its package mirrors), and part of that overlaps ctnr's own
// loading, so "ms over node -e 0" came out smaller than ctnr's real cost.
const NODE_STARTUP_VARS = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];

// The CLI runs as a program (bin/ctnr.cjs execs the `node` on PATH): this node comes first, so it is the one measured.
export function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of NODE_STARTUP_VARS) delete env[name];
  return { ...env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...extra };
}
