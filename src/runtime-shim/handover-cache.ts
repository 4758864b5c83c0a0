import { existsSync, lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isRootless, type Environment } from './locate.js';
import { writeAtomic } from './write.js';

/**
 * The runtime a config resolves to, remembered for bin/ctnr-runtime.sh: for the commands ctnr-runtime only hands
 * over (state, kill, delete, start, exec, …) the script execs the remembered runtime without starting node while
 * this file is newer than the config and names it. create and run never use it. Two lines: the config's path
 * (as the script found it) and the runtime's. It lives in $XDG_RUNTIME_DIR/ctnr when that is set (a user's
 * runtime directory), else for root in /run/ctnr (a tmpfs: gone at reboot); otherwise there is none and node runs.
 */
export function handoverCachePath(env: Environment = process.env, uid = process.getuid?.() ?? 0): string | undefined {
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'ctnr', 'runtime-handover');
  return isRootless(env, uid) ? undefined : '/run/ctnr/runtime-handover';
}

/** Best effort: a cache that cannot be written only costs the next command a node start. */
export function rememberRuntime(configFile: string, runtime: string, env: Environment = process.env): void {
  const file = handoverCachePath(env);
  if (!file) return;
  try {
    const dir = path.dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Only a directory of our own that nobody else can write: the script execs what this file names.
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return;
    const content = `${configFile}\n${runtime}\n`;
    if (existsSync(file) && readFileSync(file, 'utf8') === content && statSync(file).mtimeMs > statSync(configFile).mtimeMs) return;
    writeAtomic(file, content, { mode: 0o600, uid: st.uid, gid: st.gid }, false);
  } catch {
    // read-only /run, a full disk: no cache
  }
}
