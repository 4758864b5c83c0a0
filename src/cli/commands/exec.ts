import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../../engine/errors.js';
import { serviceNotFound } from '../../compose/select.js';
import { statusForSignal } from '../../runtime/exit-status.js';
import { listRecords, queryState, runRoot, type ContainerRecord } from '../../runtime/state.js';
import { overlayEnv } from '../../spec/process-env.js';
import { readGroup, readPasswd, type GroupEntry, type PasswdEntry } from '../../linux/rootfs.js';
import { MAX_ID, resolveUserSpec } from '../../linux/user-spec.js';
import { execJudge } from './exec-policy.js';
import { loadProjectFile, type ProjectFileOptions } from './project-file.js';

export interface ExecOptions extends ProjectFileOptions {
  config?: string;
  /** `--preset`: as given to `up`, so the exec is judged by the same policy. */
  preset?: string[];
  /** Which replica (1 = the first, or the only one). */
  index?: string;
  /** commander's `-T`/`--no-tty`: false never allocates a terminal. */
  tty?: boolean;
  env?: string[];
  workdir?: string;
  user?: string;
}

/**
 * `ctnr exec SERVICE COMMAND…`: a command in a running container of the service (`up`, `run -d`), as `docker
 * compose exec` runs one: the container's own process settings (user, environment, working directory,
 * capabilities, limits) with the command, `-e` over the environment, `-w`, `-u`; a terminal when stdin is one
 * (`-T`: never). Stdio is the command's, and so is the exit status.
 */
export async function execCommand(service: string, command: string[], opts: ExecOptions): Promise<void> {
  if (command.length === 0) throw new CtnrError('USAGE', 'exec needs a command to run (ctnr exec SERVICE COMMAND…)');
  const compose = loadProjectFile(opts);
  if (!Object.hasOwn(compose.services, service)) throw serviceNotFound(compose, service);
  if (opts.index !== undefined && !/^[1-9]\d{0,5}$/.test(opts.index.trim())) {
    throw new CtnrError('USAGE', `--index: "${opts.index}" is not a replica number (1, 2, …)`);
  }
  const index = opts.index === undefined ? 1 : Number(opts.index);
  const rec = containerOf(compose.name, service, index);
  // As compose: a terminal when both ends are one (`ctnr exec db pg_dump > dump.sql` must get no pty: CRLF, stderr mixed in).
  const tty = opts.tty !== false && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY);
  const asked = execProcess(rec, command, { tty, env: opts.env ?? [], ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}), ...(opts.user !== undefined ? { user: opts.user } : {}) });
  const { loadConfig } = await import('../../config/load.js');
  const judge = execJudge(compose.dir, () => loadConfig(compose.dir, opts.config), opts.preset ?? []);
  const proc = await judge(rec, asked, 'exec');
  // The process file beside the lifecycle hooks' in the bundle (ctnr's own directory), one per exec.
  const dir = path.join(rec.bundle, 'ctnr');
  const file = path.join(dir, `exec-${process.pid}.json`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(proc) + '\n', { mode: 0o600 });
  // The runtime runs in our process group with our stdio: a terminal's Ctrl-C reaches it already (it passes signals
  // on to the command), so ctnr lets SIGINT go by; SIGTERM and SIGHUP (`kill`, `timeout`) are passed to it.
  const child = spawn(rec.runtime.path, ['--root', rec.root, 'exec', '--process', file, rec.id], { stdio: 'inherit' });
  const ignore = () => {};
  const pass = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', ignore);
  process.on('SIGTERM', pass);
  process.on('SIGHUP', pass);
  try {
    process.exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new CtnrError('RUNTIME_FAILED', `cannot run ${rec.runtime.path}: ${err.message}`)));
      child.on('exit', (code, signal) => resolve(code ?? statusForSignal(signal)));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', pass);
    process.off('SIGHUP', pass);
    rmSync(file, { force: true });
  }
}

/** The running container of replica `index` of `service` (records of `up` and `run -d`). */
function containerOf(project: string, service: string, index: number): ContainerRecord {
  const mine = listRecords(runRoot()).filter((r) => r.project === project && r.service === service && r.log !== undefined);
  const rec = mine.find((r) => (r.replica ?? 1) === index);
  if (rec === undefined) {
    const have = mine.length === 0 ? 'none' : mine.map((r) => r.replica ?? 1).sort((a, b) => a - b).join(', ');
    throw new CtnrError('RUNTIME_FAILED', `service "${service}" has no container${index > 1 ? ` #${index}` : ''} started by ctnr up or run -d (replicas: ${have})`);
  }
  const state = queryState(rec);
  if (state?.status !== 'running') {
    throw new CtnrError('RUNTIME_FAILED', `${rec.id} is ${state?.status ?? 'gone'}, not running (ctnr up starts it)`);
  }
  return rec;
}

/**
 * The exec'd process: the container's own (from its bundle's config.json) with the command, the terminal as asked,
 * `-e KEY=VALUE` over its environment (`-e KEY` takes KEY from ours, as docker does), `-w`, and `-u USER[:GROUP]`.
 */
export function execProcess(rec: Pick<ContainerRecord, 'bundle' | 'id'>, command: string[], opts: { tty: boolean; env: string[]; workdir?: string; user?: string }): Record<string, unknown> {
  const spec = JSON.parse(readFileSync(path.join(rec.bundle, 'config.json'), 'utf8')) as { process?: Record<string, unknown>; root?: { path?: unknown } };
  const base = spec.process ?? {};
  const over = opts.env.map((kv) => {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (!/^[^=\0]+$/.test(key)) throw new CtnrError('USAGE', `-e: "${kv}" is not KEY=VALUE`);
    return [key, eq < 0 ? process.env[key] : kv.slice(eq + 1)] as const;
  });
  const proc: Record<string, unknown> = { ...base, args: command, terminal: opts.tty, env: overlayEnv(base.env as string[] | undefined, over) };
  delete proc.consoleSize;
  if (opts.workdir !== undefined) {
    if (!opts.workdir.startsWith('/')) throw new CtnrError('USAGE', `-w: "${opts.workdir}" must be an absolute path in the container`);
    proc.cwd = opts.workdir;
  }
  if (opts.user !== undefined) {
    // The container's umask stays; its supplementary groups were the other user's.
    const umask = (base.user as { umask?: number } | undefined)?.umask;
    const rootPath = typeof spec.root?.path === 'string' ? spec.root.path : 'rootfs';
    proc.user = { ...userOf(opts.user, path.resolve(rec.bundle, rootPath)), ...(umask !== undefined ? { umask } : {}) };
  }
  return proc;
}

/**
 * `-u` as `docker exec -u` reads it: `name`, `uid`, `name:group` or `uid:gid`, names from the running container's
 * own /etc/passwd and /etc/group (read through its root: links stay inside it), a uid in passwd with its primary
 * group (else gid 0), and the groups that list the user as supplementary groups. The container can change those
 * files, as it can under docker: they only choose ids inside the container, which runs with its own capabilities.
 */
function userOf(text: string, rootfs: string): { uid: number; gid: number; additionalGids?: number[] } {
  const given = text.trim();
  if (!/^[^:\s]+(?::[^:\s]+)?$/.test(given)) throw new CtnrError('USAGE', `-u: "${text}" is not USER[:GROUP] (a name or a number each)`);
  let passwd: PasswdEntry[] | undefined;
  let groups: GroupEntry[] | undefined;
  const read = <T>(what: string, load: () => T): T => {
    try {
      return load();
    } catch (err) {
      throw new CtnrError('USAGE', `-u: cannot read the container's ${what}: ${(err as Error).message}`);
    }
  };
  const r = resolveUserSpec(
    given,
    () => (passwd ??= read('/etc/passwd', () => readPasswd(rootfs) ?? [])),
    () => (groups ??= read('/etc/group', () => readGroup(rootfs) ?? [])),
  );
  if ('kind' in r) {
    if (r.kind === 'user') throw new CtnrError('USER_NOT_FOUND', `-u: user "${r.name}" not found in the container's /etc/passwd`);
    if (r.kind === 'group') throw new CtnrError('GROUP_NOT_FOUND', `-u: group "${r.name}" not found in the container's /etc/group`);
    throw new CtnrError('USAGE', `-u: id ${r.id} is out of range (max ${MAX_ID})`);
  }
  return { uid: r.uid, gid: r.gid, ...(r.memberOf.length > 0 ? { additionalGids: r.memberOf } : {}) };
}
