import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CtnrError } from './errors.js';

/**
 * Where ctnr-runtime's configuration lives and which real runtime it hands over to. bin/ctnr-runtime.sh looks
 * for the same files (so that without any it can exec the runtime before node starts): keep the two in step.
 */

/** File names tried in each directory, in this order. */
export const CONFIG_NAMES: readonly string[] = [
  'runtime.config.json', 'runtime.config.yaml', 'runtime.config.yml', 'runtime.config.mjs', 'runtime.config.js', 'runtime.config.ts',
];

/** Runtimes tried when the config names none: runc, else crun (what podman and containerd ship with). */
export const DEFAULT_RUNTIMES: readonly string[] = ['runc', 'crun'];

/** Directories searched after PATH: engines often start runtimes with a short PATH, and runc lives in /usr/sbin. */
const FALLBACK_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Root, unless the uid says otherwise or rootless podman says so: it runs the runtime inside its user namespace,
 * where the uid is 0 but the files are the user's (it exports _CONTAINERS_ROOTLESS_UID there).
 */
export function isRootless(env: Environment = process.env, uid = process.getuid?.() ?? 0): boolean {
  return uid !== 0 || (env._CONTAINERS_ROOTLESS_UID ?? '') !== '';
}

/** The directory holding the config: /etc/ctnr as root, `$XDG_CONFIG_HOME/ctnr` (default ~/.config/ctnr) rootless. */
export function configDir(env: Environment = process.env, uid = process.getuid?.() ?? 0): string {
  if (!isRootless(env, uid)) return '/etc/ctnr';
  const xdg = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(xdg, 'ctnr');
}

/**
 * The config file, or undefined when there is none (then ctnr-runtime only passes through). CTNR_RUNTIME_CONFIG
 * wins and must exist; two config files in one directory are an error (which one would apply is a guess).
 */
export function findRuntimeConfig(env: Environment = process.env, uid = process.getuid?.() ?? 0): string | undefined {
  const explicit = env.CTNR_RUNTIME_CONFIG;
  if (explicit) {
    const file = path.resolve(explicit);
    if (!existsSync(file)) throw new CtnrError('CONFIG_NOT_FOUND', `CTNR_RUNTIME_CONFIG names ${file}, which does not exist`, { location: { file } });
    return file;
  }
  const dir = configDir(env, uid);
  const found = CONFIG_NAMES.map((n) => path.join(dir, n)).filter((f) => existsSync(f));
  if (found.length > 1) {
    throw new CtnrError('CONFIG_INVALID', `more than one runtime config: ${found.join(', ')} (keep one)`, { location: { file: found[0]! } });
  }
  return found[0];
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` on PATH, then in the usual system directories. */
export function which(name: string, env: Environment = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), ...FALLBACK_PATH];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (executable(file)) return file;
  }
  return undefined;
}

/**
 * The real runtime: the config's `runtime` (a name looked up like a command, or a path; a relative path is
 * relative to the config file), else runc, else crun. ctnr-runtime itself is refused, or it would call itself.
 */
export function resolveRuntime(wanted: string | undefined, options: { configFile?: string; self?: readonly string[]; env?: Environment } = {}): string {
  const env = options.env ?? process.env;
  let found: string | undefined;
  if (wanted === undefined) {
    for (const name of DEFAULT_RUNTIMES) if ((found = which(name, env))) break;
    if (!found) throw new CtnrError('RUNTIME_FAILED', `no OCI runtime found: install runc or crun, or set "runtime" in the runtime config`);
  } else if (wanted.includes('/')) {
    found = path.resolve(options.configFile ? path.dirname(options.configFile) : process.cwd(), wanted);
    if (!executable(found)) {
      throw new CtnrError('CONFIG_INVALID', `runtime ${found} is not an executable file`, { path: 'runtime', ...(options.configFile ? { location: { file: options.configFile } } : {}) });
    }
  } else {
    found = which(wanted, env);
    if (!found) {
      throw new CtnrError('CONFIG_INVALID', `runtime "${wanted}" is not on PATH (nor in ${FALLBACK_PATH.join(', ')})`, { path: 'runtime', ...(options.configFile ? { location: { file: options.configFile } } : {}) });
    }
  }
  const real = safeRealpath(found);
  for (const self of options.self ?? []) {
    if (real === safeRealpath(self)) {
      throw new CtnrError('CONFIG_INVALID', `runtime ${found} is ctnr-runtime itself: name the real runtime (runc, crun or its path)`, {
        path: 'runtime', ...(options.configFile ? { location: { file: options.configFile } } : {}),
      });
    }
  }
  return found;
}

function safeRealpath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
