import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { ELF_MACHINE, readElf } from './elf.js';

/**
 * Init binaries ctnr looks for, in this order. `tini` comes first because it is what docker bundles (as
 * `docker-init`); the dynamic build Debian ships as /usr/bin/tini is skipped (see checkInitBinary), so on a
 * Debian host the search settles on /usr/bin/tini-static from the same package.
 */
export const INIT_NAMES: readonly string[] = ['tini', 'tini-static', 'catatonit', 'docker-init'];

/**
 * Directories searched after PATH: where engines keep their helper binaries rather than on PATH.
 * - moby's `docker-init` (tini): /usr/local/libexec/docker, /usr/libexec/docker, /usr/local/lib/docker,
 *   /usr/lib/docker (dockerd's own search list for its helpers);
 * - podman's `catatonit`: its `helper_binaries_dir` defaults /usr/local/libexec/podman,
 *   /usr/local/lib/podman, /usr/libexec/podman, /usr/lib/podman;
 * - Fedora's catatonit package: /usr/libexec/catatonit.
 */
export const INIT_DIRS: readonly string[] = [
  '/usr/local/libexec/docker',
  '/usr/libexec/docker',
  '/usr/local/lib/docker',
  '/usr/lib/docker',
  '/usr/local/libexec/podman',
  '/usr/local/lib/podman',
  '/usr/libexec/podman',
  '/usr/lib/podman',
  '/usr/libexec/catatonit',
];

/** Why a file cannot serve as the container's init; `dynamic` gets its own wording from the caller. */
export type InitProblem =
  | { kind: 'missing' | 'not-file' | 'not-executable' | 'not-elf' | 'wrong-arch'; message: string }
  | { kind: 'dynamic'; message: string; interpreter: string };

/**
 * Can `file` run as pid 1 inside any rootfs? It must be an executable ELF file for the target arch with no
 * ELF interpreter: a dynamically linked binary needs the host's loader and libc at the same paths inside the
 * container, which an image rootfs (alpine's musl, distroless, scratch) does not have.
 */
export function checkInitBinary(file: string, arch: string): InitProblem | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return { kind: 'missing', message: 'does not exist' };
  }
  if (!st.isFile()) return { kind: 'not-file', message: 'is not a regular file' };
  try {
    accessSync(file, constants.R_OK);
  } catch {
    return { kind: 'not-executable', message: 'is not readable' };
  }
  if ((st.mode & 0o111) === 0) return { kind: 'not-executable', message: 'is not executable' };
  let elf;
  try {
    elf = readElf(file);
  } catch (err) {
    return { kind: 'not-elf', message: `cannot be read (${(err as Error).message})` };
  }
  if (typeof elf === 'string') return { kind: 'not-elf', message: `is ${elf}` };
  const want = ELF_MACHINE[arch];
  if (want !== undefined && elf.machine !== want) return { kind: 'wrong-arch', message: `is built for another architecture (ELF machine ${elf.machine}, target ${arch})` };
  if (elf.interpreter !== undefined) {
    return { kind: 'dynamic', interpreter: elf.interpreter, message: `is dynamically linked (interpreter ${elf.interpreter || '(empty)'})` };
  }
  return undefined;
}

export interface InitSearchOptions {
  names?: readonly string[];
  /** PATH-style list (`/usr/bin:/bin`); relative and empty entries are ignored so the result does not depend on the cwd. */
  searchPath?: string;
  dirs?: readonly string[];
  arch: string;
}

export interface InitSearchResult {
  /** The first usable binary, if any. */
  found?: string;
  /** Candidates that exist but were passed over, in search order, with the reason. */
  skipped: Array<{ path: string; problem: InitProblem }>;
}

/** Search each name in PATH, then in `dirs`; the first static executable for the target arch wins. */
export function findInitBinary(options: InitSearchOptions): InitSearchResult {
  const pathDirs = (options.searchPath ?? '').split(':').filter((d) => d !== '' && path.isAbsolute(d));
  const dirs = [...new Set([...pathDirs, ...(options.dirs ?? INIT_DIRS)].map((d) => path.normalize(d)))];
  const skipped: InitSearchResult['skipped'] = [];
  const seen = new Set<string>();
  for (const name of options.names ?? INIT_NAMES) {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      if (seen.has(file)) continue;
      seen.add(file);
      const problem = checkInitBinary(file, options.arch);
      if (problem === undefined) return { found: file, skipped };
      if (problem.kind !== 'missing') skipped.push({ path: file, problem });
    }
  }
  return { skipped };
}
