/**
 * Helpers of the images-*.test.ts e2e files: the built CLI run as a child process (async, so an in-process proxy
 * keeps serving while it runs), a busybox image layer, a logging/throttling/tampering proxy in front of a test
 * registry, and a look at what the store holds. Registries themselves come from test/helpers/registry.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeLayer, type LayerEntry } from '../helpers/registry.js';
import { BUSYBOX, GROUP, PASSWD } from '../helpers/rootfs.js';
import { REPO } from '../helpers/shared.js';
import { expectValidSpec } from '../helpers/schema.js';
import { cliCommand } from '../unit/bundle/cli.js';

export const CLI = path.join(REPO, 'bin/ctnr.cjs');

export function requireBuild(): void {
  if (!existsSync(path.join(REPO, 'dist/cli.cjs'))) throw new Error('dist/cli.cjs is missing: run `npm run build` first (npm test does)');
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A scratch directory with its own HOME, XDG dirs, run root and data dir: nothing of the host's leaks in. */
export interface Scratch {
  dir: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

export function scratch(prefix = 'ctnr-images-'): Scratch {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const d of ['home', 'xdg-runtime', 'run']) mkdirSync(path.join(dir, d), { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(dir, 'home'), XDG_RUNTIME_DIR: path.join(dir, 'xdg-runtime'), CTNR_RUN_ROOT: path.join(dir, 'run'), NO_COLOR: '1' };
  for (const k of ['REGISTRY_AUTH_FILE', 'DOCKER_CONFIG', 'XDG_DATA_HOME', 'FORCE_COLOR']) delete env[k];
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    env,
    remove: () => {
      for (const id of runcState(path.join(dir, 'run', 'runc'))) execFileSync('runc', ['--root', path.join(dir, 'run', 'runc'), 'delete', '--force', id], { stdio: 'ignore' });
      // bundles made from the store may have their rootfs overlay-mounted on the cache: unmount, deepest first
      for (const m of mountsUnder(dir).reverse()) spawnSync('umount', [m], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Mount points at or below `dir` (this mount namespace), in mount order. */
export function mountsUnder(dir: string): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const real = realpathSync(dir);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((m) => m === real || m.startsWith(`${real}/`));
}

function runcState(root: string): string[] {
  if (!existsSync(root)) return [];
  try {
    return execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /** Run as another user (setpriv --reuid/--regid --init-groups). */
  as?: { uid: number; gid: number };
  /** Inside the mount namespace crun needs on this host (test/unit/bundle/cli.ts `ctnr`). */
  crunWorkaround?: boolean;
}

/** Start `node bin/ctnr.cjs ARGS` without waiting: the child and a promise of its result. */
export function spawnCli(args: string[], opts: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult>; stdout(): string } {
  const argv = [CLI, ...args];
  const [cmd, cmdArgs] = opts.crunWorkaround ? cliCommand(args, true) : [process.execPath, argv];
  const child = opts.as
    ? spawn('setpriv', ['--reuid', String(opts.as.uid), '--regid', String(opts.as.gid), '--init-groups', cmd, ...cmdArgs], { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(cmd, cmdArgs, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdin!.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    }),
  );
  return { child, done, stdout: () => stdout };
}

/**
 * Run the built CLI to completion. Every spec it emits is checked against the runtime-spec schema: a spec
 * printed by `spec`, and the config.json of every bundle under the `--data-dir` it was given.
 */
export async function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const r = await spawnCli(args, opts).done;
  if (r.status === 0 && args[0] === 'spec' && !args.includes('-o') && r.stdout.startsWith('{')) expectValidSpec(JSON.parse(r.stdout));
  const at = args.indexOf('--data-dir');
  const bundles = at >= 0 ? path.join(path.resolve(opts.cwd ?? '.', args[at + 1]!), 'bundles') : undefined;
  for (const name of bundles && existsSync(bundles) ? readdirSync(bundles) : []) {
    const config = path.join(bundles!, name, 'config.json');
    if (!name.startsWith('.') && existsSync(config)) expectValidSpec(JSON.parse(readFileSync(config, 'utf8')));
  }
  return r;
}

/** stderr without the notes every run on this host may print (runtime choice, rootless limits). */
export const errLines = (stderr: string): string[] =>
  stderr.split('\n').filter((l) => l !== '' && !/^note: /.test(l) && !/level=warning msg="unable to get oom kill count"/.test(l));

/** A compose file in its own directory under `dir`. */
export function writeCompose(dir: string, name: string, text: string): string {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'compose.yaml'), text);
  return path.join(d, 'compose.yaml');
}

let applets: string[] | undefined;

/**
 * A root filesystem layer of the static busybox: /bin/busybox and its applet links, /etc/passwd and /etc/group
 * (root, app = 1000, nobody), /home/app owned by 1000, /tmp 1777, empty mount points. `extra` entries follow.
 */
export function busyboxLayer(extra: Record<string, LayerEntry> = {}): Buffer {
  if (!BUSYBOX) throw new Error('busybox not found (apt-get install busybox-static)');
  applets ??= execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a !== '' && a !== 'busybox');
  const entries: Record<string, LayerEntry> = {
    'bin/': { type: 'dir' },
    'bin/busybox': { type: 'file', content: readFileSync(BUSYBOX), mode: 0o755 },
  };
  for (const a of applets) entries[`bin/${a}`] = { type: 'symlink', target: 'busybox' };
  Object.assign(entries, {
    'etc/': { type: 'dir' },
    'etc/passwd': PASSWD,
    'etc/group': GROUP,
    'home/': { type: 'dir' },
    'home/app/': { type: 'dir', uid: 1000, gid: 1000 },
    'root/': { type: 'dir', mode: 0o700 },
    'tmp/': { type: 'dir', mode: 0o1777 },
    'proc/': { type: 'dir' },
    'sys/': { type: 'dir' },
    'dev/': { type: 'dir' },
    ...extra,
  });
  return makeLayer(entries);
}

/** What the store under `<dataDir>/images` holds. */
export function storeState(dataDir: string): { blobs: string[]; rootfs: string[]; ingest: string[]; refs: Record<string, any> } {
  const root = path.join(dataDir, 'images');
  const list = (d: string) => (existsSync(path.join(root, d)) ? readdirSync(path.join(root, d)).sort() : []);
  const blobs = [...list('blobs/sha256').map((h) => `sha256:${h}`), ...list('blobs/sha512').map((h) => `sha512:${h}`)];
  const refsFile = path.join(root, 'refs.json');
  const refs = existsSync(refsFile) ? JSON.parse(readFileSync(refsFile, 'utf8')).images : {};
  return { blobs, rootfs: list('rootfs'), ingest: list('ingest'), refs };
}

export interface ProxyRequest {
  method: string;
  path: string;
  range?: string;
}

export interface Proxy {
  host: string;
  requests: ProxyRequest[];
  /** GETs of a blob so far. */
  blobGets(digest: string): ProxyRequest[];
  /** Serve this blob at this rate (bytes per second); undefined: full speed. */
  throttle: { digest: string; bytesPerSecond: number } | undefined;
  /** Flip the first byte of this blob's body (same length, wrong digest). */
  tamper: string | undefined;
  /** Drop the connection after sending this many bytes of this blob's body. */
  cut: { digest: string; after: number } | undefined;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node:http proxy in front of `upstream` (host:port) that logs every request and can slow or spoil a blob. */
export async function startProxy(upstream: string): Promise<Proxy> {
  const [upHost, upPort] = upstream.split(':') as [string, string];
  const proxy: Proxy = {
    host: '',
    requests: [],
    blobGets: (digest) => proxy.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${digest}`)),
    throttle: undefined,
    tamper: undefined,
    cut: undefined,
    stop: async () => {},
  };
  const server = http.createServer((req, res) => {
    const entry: ProxyRequest = { method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, ...(req.headers.range ? { range: req.headers.range } : {}) };
    proxy.requests.push(entry);
    const up = http.request({ host: upHost, port: Number(upPort), path: req.url, method: req.method, headers: { ...req.headers, host: upstream } }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      const throttle = proxy.throttle && entry.path.endsWith(`/blobs/${proxy.throttle.digest}`) ? proxy.throttle : undefined;
      const tamper = proxy.tamper !== undefined && entry.method === 'GET' && entry.path.endsWith(`/blobs/${proxy.tamper}`);
      const cut = proxy.cut && entry.method === 'GET' && entry.path.endsWith(`/blobs/${proxy.cut.digest}`) ? proxy.cut.after : undefined;
      res.on('close', () => upRes.destroy());
      void (async () => {
        let first = true;
        let sent = 0;
        try {
          for await (const raw of upRes) {
            let chunk = raw as Buffer;
            if (cut !== undefined && sent + chunk.length >= cut) {
              res.write(chunk.subarray(0, cut - sent));
              await sleep(100);
              res.socket?.destroy();
              return;
            }
            sent += chunk.length;
            if (tamper && first && chunk.length > 0) {
              chunk = Buffer.from(chunk);
              chunk[0] = chunk[0]! ^ 0xff;
            }
            first = false;
            if (!throttle) {
              if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
              continue;
            }
            const slice = Math.max(1, Math.floor(throttle.bytesPerSecond / 20));
            for (let i = 0; i < chunk.length; i += slice) {
              if (res.destroyed) return;
              res.write(chunk.subarray(i, i + slice));
              await sleep(50);
            }
          }
          res.end();
        } catch {
          res.destroy();
        }
      })();
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  proxy.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
