/**
 * Helpers of the runtime-shim*.test.ts e2e files: a docker-save image tarball built from the busybox rootfs,
 * runtime configs and the wrapper scripts an engine runs as its runtime, and podman and containerd set up with
 * everything (storage, state, sockets) under one temp directory and torn down after.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildBusyboxRootfs, BUSYBOX } from '../helpers/rootfs.js';
import { which } from '../helpers/runc.js';
import { tarArchive, type TarSpec } from '../helpers/tar.js';
import { IN_CI, REPO } from '../helpers/shared.js';

export const SHIM = path.join(REPO, 'bin/ctnr-runtime.mjs');
export const IMAGE = 'localhost/ctnr-shim-test:latest';

/**
 * The engine e2e tests need root, runc, busybox, the built shim and the engine itself. They skip with the reason
 * outside CI and fail in CI (CI=true), where .ci/run installs everything (scripts/install-system-deps.sh).
 */
export function engineAvailable(what: string, commands: readonly string[]): boolean {
  const missing = [
    process.getuid?.() !== 0 && 'root',
    !BUSYBOX && 'busybox-static',
    !existsSync(path.join(REPO, 'dist/ctnr-runtime.mjs')) && 'dist/ctnr-runtime.mjs (npm run build)',
    ...commands.filter((c) => !which(c)),
  ].filter(Boolean);
  if (missing.length === 0) return true;
  const msg = `${what} needs ${missing.join(', ')}`;
  if (IN_CI) throw new Error(`${msg}, and CI=true: .ci/run must install them (scripts/install-system-deps.sh)`);
  console.warn(`skipping ${msg}`);
  return false;
}

/** Every entry under `dir` as tar entries (directories first, then files and links), names relative to it. */
function tarTree(dir: string, prefix = ''): TarSpec[] {
  const out: TarSpec[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const rel = prefix + name;
    const st = lstatSync(full);
    if (st.isDirectory()) {
      out.push({ name: rel + '/', type: 'dir', mode: st.mode & 0o7777 });
      out.push(...tarTree(full, rel + '/'));
    } else if (st.isSymbolicLink()) {
      out.push({ name: rel, type: 'symlink', linkname: readlinkSync(full) });
    } else if (st.isFile()) {
      out.push({ name: rel, content: readFileSync(full), mode: st.mode & 0o7777 });
    }
  }
  return out;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * `docker save` of a one-layer image holding the busybox rootfs (applets, /etc/passwd with `app` 1000), tagged
 * IMAGE: what `podman load` and `ctr images import` read.
 */
export function buildImageTarball(file: string): void {
  const { rootfs, cleanup } = buildBusyboxRootfs();
  try {
    const layer = tarArchive(tarTree(rootfs));
    const diffId = sha256(layer);
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
      history: [{ created_by: 'ctnr runtime-shim e2e' }],
    });
    const configName = `${sha256(config)}.json`;
    const manifest = JSON.stringify([{ Config: configName, RepoTags: [IMAGE], Layers: [`${diffId}/layer.tar`] }]);
    writeFileSync(file, tarArchive([
      { name: `${diffId}/`, type: 'dir' },
      { name: `${diffId}/layer.tar`, content: layer },
      { name: configName, content: config },
      { name: 'manifest.json', content: manifest },
    ]));
  } finally {
    cleanup();
  }
}

/**
 * The script an engine runs as its runtime: sets CTNR_RUNTIME_CONFIG (the engines start runtimes with an almost
 * empty environment) and XDG_RUNTIME_DIR (for the handover cache) and runs bin/ctnr-runtime.mjs. For `create` it also keeps copies, in `saveDir/<id>/`, of
 * the bundle's config.json before and after and of ctnr-trace.json (containerd removes the bundle with the task).
 */
export function writeWrapper(file: string, config: string | undefined, saveDir: string): void {
  const lines = [
    '#!/bin/sh',
    config ? `export CTNR_RUNTIME_CONFIG='${config}'` : 'unset CTNR_RUNTIME_CONFIG',
    // the handover cache of the tests stays out of /run/ctnr
    `export XDG_RUNTIME_DIR='${saveDir}'`,
    'bundle=.; prev=; create=; for a in "$@"; do case "$prev" in --bundle|-b) bundle=$a;; esac; [ "$a" = create ] && create=1; prev=$a; id=$a; done',
    'if [ -n "$create" ]; then',
    `  d='${saveDir}'/$id; mkdir -p "$d"; cp "$bundle/config.json" "$d/before.json"`,
    `  '${SHIM}' "$@"; rc=$?`,
    '  cp "$bundle/config.json" "$d/after.json"; [ -f "$bundle/ctnr-trace.json" ] && cp "$bundle/ctnr-trace.json" "$d/trace.json"',
    '  exit $rc',
    'fi',
    `exec '${SHIM}' "$@"`,
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  chmodSync(file, 0o755);
}

export interface Saved {
  before: Buffer;
  after: Buffer;
  trace?: any;
}

export function saved(saveDir: string, id: string): Saved {
  const d = path.join(saveDir, id);
  const trace = path.join(d, 'trace.json');
  return {
    before: readFileSync(path.join(d, 'before.json')),
    after: readFileSync(path.join(d, 'after.json')),
    ...(existsSync(trace) ? { trace: JSON.parse(readFileSync(trace, 'utf8')) } : {}),
  };
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function result(r: SpawnSyncReturns<string>): Run {
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** The probe every container runs: facts about its own process, one `key=value` per line. */
export const PROBE = [
  'for k in CapBnd CapEff NoNewPrivs Seccomp; do echo "$k=$(grep "^$k:" /proc/$$/status | cut -f2)"; done',
  'echo ORG=$ORG',
  'echo hello from the container',
].join('; ');

/** podman with its own root, run root, tmp dir, vfs storage, cgroupfs, file events, and a containers.conf naming the runtimes. */
export class Podman {
  readonly dir: string;
  private readonly conf: string;

  constructor(dir: string, runtimes: Record<string, string>) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.conf = path.join(dir, 'containers.conf');
    const names = Object.keys(runtimes);
    writeFileSync(this.conf, [
      '[containers]',
      // This VM's hard limits are below podman's defaults (RLIMIT_NOFILE 1048576 would fail in runc).
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
      '[engine]',
      // Runtimes in this list get --log-format=json and a --log file (podman shows its message on failure).
      `runtime_supports_json = ["crun", "runc", ${names.map((n) => JSON.stringify(n)).join(', ')}]`,
      '[engine.runtimes]',
      ...names.map((n) => `${n} = [${JSON.stringify(runtimes[n])}]`),
    ].join('\n') + '\n');
  }

  run(args: readonly string[], timeout = 60_000): Run {
    const base = [
      '--root', path.join(this.dir, 'root'), '--runroot', path.join(this.dir, 'runroot'), '--tmpdir', path.join(this.dir, 'tmp'),
      '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
    ];
    return result(spawnSync('podman', [...base, ...args], {
      encoding: 'utf8', timeout, env: { ...process.env, CONTAINERS_CONF: this.conf }, stdio: ['ignore', 'pipe', 'pipe'],
    }));
  }

  /** Remove every container, then the storage (vfs: plain directories; a container's /dev/shm is a mount). */
  cleanup(): void {
    this.run(['rm', '--all', '--force', '--time', '0']);
    unmountUnder(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Unmount anything still mounted under `dir` (deepest first), so it can be removed. */
export function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')));
  for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m.replace(/\\040/g, ' ')], { stdio: 'ignore' });
}

/** containerd with its own config, root, state and sockets under `dir`; the CRI plugin off (no CNI needed). */
export class Containerd {
  readonly dir: string;
  readonly address: string;
  private daemon: ChildProcess | undefined;

  constructor(dir: string) {
    this.dir = dir;
    this.address = path.join(dir, 'containerd.sock');
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const config = path.join(this.dir, 'config.toml');
    writeFileSync(config, [
      'version = 2',
      `root = ${JSON.stringify(path.join(this.dir, 'root'))}`,
      `state = ${JSON.stringify(path.join(this.dir, 'state'))}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = ${JSON.stringify(this.address)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(this.address + '.ttrpc')}`,
      '[debug]',
      `  address = ${JSON.stringify(path.join(this.dir, 'debug.sock'))}`,
    ].join('\n') + '\n');
    const log = openSync(path.join(this.dir, 'containerd.log'), 'w');
    this.daemon = spawn('containerd', ['--config', config], { stdio: ['ignore', log, log] });
    closeSync(log);
    for (let i = 0; i < 200; i++) {
      if (this.daemon.exitCode !== null) break;
      if (existsSync(this.address) && this.ctr(['version']).status === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`containerd did not start: ${readFileSync(path.join(this.dir, 'containerd.log'), 'utf8').slice(-2000)}`);
  }

  ctr(args: readonly string[], timeout = 60_000): Run {
    return result(spawnSync('ctr', ['--address', this.address, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Kill and remove every task and container, stop the daemon and the shims it started, unmount, remove. */
  async stop(): Promise<void> {
    if (this.daemon && this.daemon.exitCode === null) {
      for (const id of this.ctr(['tasks', 'list', '--quiet']).stdout.split('\n').filter(Boolean)) this.ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]);
      for (const id of this.ctr(['tasks', 'list', '--quiet']).stdout.split('\n').filter(Boolean)) this.ctr(['tasks', 'delete', '--force', id]);
      for (const id of this.ctr(['containers', 'list', '--quiet']).stdout.split('\n').filter(Boolean)) this.ctr(['containers', 'delete', id]);
      const exited = new Promise((r) => this.daemon!.once('exit', r));
      this.daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (this.daemon.exitCode === null) this.daemon.kill('SIGKILL');
    }
    // Shims outlive containerd: end the ones this daemon started (their command line names its socket).
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (cmdline.includes('containerd-shim') && cmdline.includes(this.address)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    unmountUnder(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `key=value` lines of the probe. */
export function facts(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}
