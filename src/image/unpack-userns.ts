import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CtnrError, type ErrorCode } from '../engine/errors.js';
import { helperEntry } from '../helper-entry.js';
import { mapArgs } from './unpack-ids.js';
import type { IdMapping } from './types.js';
import type { ApplyTarResult } from './unpack-apply.js';

/**
 * Rootless unpacking with real ownership, as podman does it: the extractor runs in a child process inside a
 * new user namespace whose id maps are written by the setuid helpers `newuidmap`/`newgidmap` (package uidmap)
 * from the user's /etc/subuid and /etc/subgid ranges. There it is root, so chown(image uid) works and lands on
 * the mapped host id, and it can write into directories whatever their mode.
 *
 * `unshare --map-users` (util-linux 2.38) would write the maps too, but takes a single range (a second
 * option replaces the first); so `unshare --user` starts a shell that says "ready" on fd 3, waits while we
 * run newuidmap/newgidmap on its pid, and on "go" execs node — after the maps exist, so node starts as uid 0
 * with its capabilities in the namespace. The tar stream arrives on stdin; the result leaves as JSON on stdout.
 */

const HANDSHAKE = 'echo ready >&3 && read -r go <&3 && [ "$go" = go ] && exec "$@" 3>&-';

/** How to run the helper entry (src/image/unpack-child.ts) from a source checkout, the tsc build or the CLI bundle. */
function childEntry(): string[] {
  return helperEntry(import.meta.url, 'unpack-child', 'unpack-child.mjs', 'IMAGE_UNPACK');
}

function firstLine(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) done();
    };
    const done = () => {
      stream.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve(text.includes('\n') ? text.slice(0, text.indexOf('\n')) : undefined);
    };
    stream.on('data', onData).on('end', done).on('close', done).on('error', done);
  });
}

function writeMap(helper: 'newuidmap' | 'newgidmap', pid: number, args: string[]): string | undefined {
  const r = spawnSync(helper, [String(pid), ...args], { encoding: 'utf8' });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${helper} not found (install the uidmap package)` : `${helper}: ${r.error.message}`;
  if (r.status !== 0) return `${helper} ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.status}`} (check the ranges in /etc/sub${helper === 'newuidmap' ? 'uid' : 'gid'})`;
  return undefined;
}

interface Started {
  child: ChildProcessWithoutNullStreams;
  exited: Promise<{ code: number | null; error?: Error }>;
  output: { stdout: string; stderr: string };
  failed: (message: string, cause?: unknown) => CtnrError;
}

/** Start `argv` as root of a new user namespace with `mapping` (the handshake above); stdio are pipes. */
async function startInUserNamespace(mapping: IdMapping, argv: string[], what: string): Promise<Started> {
  const child = spawn('unshare', ['--user', '--', 'sh', '-c', HANDSHAKE, 'sh', ...argv], { cwd: '/', stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    if (output.stderr.length < 8192) output.stderr += d.toString();
  });
  const failed = (message: string, cause?: unknown): CtnrError => {
    child.kill('SIGKILL');
    return new CtnrError('IMAGE_UNPACK', `${what}: ${message}`, cause === undefined ? {} : { cause });
  };
  const control = child.stdio[3] as Readable & NodeJS.WritableStream;
  if ((await firstLine(control)) !== 'ready') {
    const { error } = await exited;
    throw failed(error ? `cannot run unshare: ${error.message}` : `unshare --user failed: ${output.stderr.trim() || 'no message'} (are unprivileged user namespaces enabled?)`);
  }
  const mapError = writeMap('newuidmap', child.pid!, mapArgs(mapping.uids)) ?? writeMap('newgidmap', child.pid!, mapArgs(mapping.gids));
  if (mapError) throw failed(mapError);
  control.end('go\n');
  return { child: child as unknown as ChildProcessWithoutNullStreams, exited, output, failed };
}

/**
 * Run a program as root of a user namespace with `mapping`: what a rootless user needs to remove or copy a tree
 * whose files belong to subordinate ids (`rm -rf DIR`, `cp -a SRC DST`). Fails with the program's stderr.
 */
export async function runInUserNamespace(mapping: IdMapping, argv: string[]): Promise<void> {
  const { child, exited, output, failed } = await startInUserNamespace(mapping, argv, `${argv[0]} in a user namespace`);
  child.stdin.end();
  const { code, error } = await exited;
  if (error) throw failed(error.message, error);
  if (code !== 0) throw failed(`exit ${code}: ${output.stderr.trim() || 'no message'}`);
}

export async function applyInUserNamespace(rootDir: string, tar: AsyncIterable<Buffer>, mapping: IdMapping): Promise<ApplyTarResult> {
  const argv = [process.execPath, ...childEntry(), JSON.stringify({ root: path.resolve(rootDir) })];
  const { child, exited, output, failed } = await startInUserNamespace(mapping, argv, 'rootless unpacking');
  const fed = pipeline(Readable.from(tar), child.stdin).then(
    () => undefined,
    (err: NodeJS.ErrnoException) => err,
  );
  const [feedError, { code, error }] = await Promise.all([fed, exited]);
  // The input's own failure (a corrupt gzip stream, say) explains more than the child's "truncated archive".
  if (feedError && feedError.code !== 'EPIPE' && feedError.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
    child.kill('SIGKILL');
    throw feedError instanceof CtnrError ? feedError : failed(feedError.message, feedError);
  }
  if (error) throw failed(error.message, error);
  let report: { ok: true; warnings: ApplyTarResult['warnings']; entries: number } | { ok: false; code: ErrorCode; message: string } | undefined;
  try {
    report = JSON.parse(output.stdout);
  } catch {
    report = undefined;
  }
  if (report?.ok === false) throw new CtnrError(report.code, report.message);
  if (!report?.ok || code !== 0) throw failed(`the helper exited with ${code}: ${output.stderr.trim() || output.stdout.trim() || 'no message'}`);
  return { warnings: report.warnings, entries: report.entries };
}
