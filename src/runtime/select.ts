import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';

export interface Runtime {
  /** `runc`, `crun`, or the basename of a path given with --runtime. */
  name: string;
  /** Absolute path of the executable. */
  path: string;
}

export interface RuntimeChoice {
  runtime: Runtime;
  /** Why the default was not the first candidate (printed as a note). */
  note?: string;
}

/** Search PATH like `command -v`, without a shell. */
export function findOnPath(cmd: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * crun 1.8 refuses to run on a cgroup-v1 host that also mounts a cgroup2 hierarchy holding controllers
 * ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"); RUNTIME-NOTES.md. That is a
 * cgroup2 mount at /sys/fs/cgroup/unified (with cgroup v1 at /sys/fs/cgroup) whose cgroup.controllers is
 * not empty. Inputs are parameters so the rule is testable with recorded files.
 */
export function hybridWithV2Controllers(mountinfo: string, readControllers: (dir: string) => string | undefined): boolean {
  for (const line of mountinfo.split('\n')) {
    // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mountPoint = line.slice(0, sep).split(' ')[4];
    const fsType = line.slice(sep + 3).split(' ')[0];
    if (fsType !== 'cgroup2' || mountPoint === '/sys/fs/cgroup') continue;
    const controllers = readControllers(mountPoint!)?.trim();
    if (controllers) return true;
  }
  return false;
}

export function hostBlocksCrun(): boolean {
  let mountinfo: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return false;
  }
  return hybridWithV2Controllers(mountinfo, (dir) => {
    try {
      return readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8');
    } catch {
      return undefined;
    }
  });
}

export interface SelectOptions {
  /** `runc`, `crun`, or a path to a runtime executable. */
  choice?: string;
  find?: (cmd: string) => string | undefined;
  crunBlocked?: () => boolean;
}

const HYBRID_NOTE =
  'crun cannot run containers on this host (cgroup v1 with controllers in the cgroup2 hierarchy at /sys/fs/cgroup/unified); using runc';

/**
 * `--runtime runc|crun|PATH`, or by default the first of crun, runc on PATH. crun is passed over (with a
 * note) when this host's cgroup layout makes it fail, and a user asking for it explicitly gets a warning note.
 */
export function selectRuntime(opts: SelectOptions = {}): RuntimeChoice {
  const find = opts.find ?? ((c: string) => findOnPath(c));
  const crunBlocked = opts.crunBlocked ?? hostBlocksCrun;
  const choice = opts.choice;
  if (choice !== undefined && choice !== '') {
    if (choice.includes('/')) {
      const abs = path.resolve(choice);
      try {
        accessSync(abs, constants.X_OK);
      } catch {
        throw new CtnrError('USAGE', `--runtime ${choice}: not an executable file`);
      }
      return { runtime: { name: path.basename(abs), path: abs } };
    }
    if (choice !== 'runc' && choice !== 'crun') throw new CtnrError('USAGE', `--runtime must be runc, crun or a path to a runtime (got "${choice}")`);
    const found = find(choice);
    if (!found) throw new CtnrError('RUNTIME_FAILED', `${choice} not found on PATH (install it: apt-get install ${choice})`);
    const note = choice === 'crun' && crunBlocked()
      ? 'crun is likely to fail on this host (cgroup v1 with controllers in /sys/fs/cgroup/unified); see --runtime runc'
      : undefined;
    return { runtime: { name: choice, path: found }, ...(note ? { note } : {}) };
  }
  const crun = find('crun');
  const runc = find('runc');
  if (crun && !crunBlocked()) return { runtime: { name: 'crun', path: crun } };
  if (runc) return { runtime: { name: 'runc', path: runc }, ...(crun ? { note: HYBRID_NOTE } : {}) };
  if (crun) return { runtime: { name: 'crun', path: crun }, note: 'crun is likely to fail on this host (cgroup hybrid mode) and runc is not installed' };
  throw new CtnrError('RUNTIME_FAILED', 'no OCI runtime found: install crun or runc (apt-get install runc), or pass --runtime PATH');
}

/**
 * The runtime-spec version to write for `runtime`: ctnr's own unless the runtime says it knows less. crun
 * before `crun features` existed (1.8.1 here) accepts 1.1.0 but refuses 1.2.0; with `features`, its
 * ociVersionMax decides. runc accepts newer versions than its `features` reports, so it keeps ctnr's.
 */
export function ociVersionFor(runtime: Runtime, ours: string, run: (args: string[]) => string | undefined = (args) => runQuiet(runtime.path, args)): string | undefined {
  if (runtime.name !== 'crun') return undefined;
  const features = run(['features']);
  if (features !== undefined) {
    try {
      const max = (JSON.parse(features) as { ociVersionMax?: unknown }).ociVersionMax;
      if (typeof max === 'string' && compareVersions(max, ours) < 0) return max.replace(/-.*$/, '');
      return undefined;
    } catch {
      // not JSON: fall through to the version rule
    }
  }
  return compareVersions(ours, '1.1.0') > 0 ? '1.1.0' : undefined;
}

function runQuiet(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  return r.status === 0 ? r.stdout : undefined;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).slice(0, 3).map((n) => Number(n) || 0);
  const pb = b.split(/[.-]/).slice(0, 3).map((n) => Number(n) || 0);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/**
 * A service's own `runtime:` (compose names the OCI runtime per service): `runc` or `crun`, which its containers
 * then run under whatever the command's runtime is; undefined when it names none. Any other (`runsc`, `kata`,
 * `nvidia`, …) is refused: run under runc instead, a service that asked for a sandbox would get less isolation
 * than it asked for.
 */
export function serviceRuntimeOf(service: { runtime?: unknown }): { choice: 'runc' | 'crun' | undefined } | { problem: string; path: Array<string | number> } {
  const value = service.runtime;
  if (value === undefined || value === null || value === '') return { choice: undefined };
  if (value === 'runc' || value === 'crun') return { choice: value };
  return {
    problem: `runtime ${JSON.stringify(value)} is not one ctnr runs (runc or crun): the service would run with less isolation than it asks for under another runtime`,
    path: ['runtime'],
  };
}
