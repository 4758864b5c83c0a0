import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bridgeName } from '../../src/network/default-conf.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, which } from '../helpers/runc.js';
import { IN_CI, REPO } from '../helpers/shared.js';
import { expectValidSpec } from '../helpers/schema.js';

/**
 * Shared by test/e2e/compose-keys-*.test.ts: the real CLI (`bin/ctnr.cjs`, built) under runc with the real CNI
 * plugins, in a private directory: its own data dir (config), run root (CTNR_RUN_ROOT), busybox rootfs and
 * project names unique to the test (so bridges, netns and container ids never meet another test's). Traffic
 * stays on the test's own bridges.
 */

export const CLI = path.join(REPO, 'bin/ctnr.cjs');

/** Root, runc, busybox, the CNI plugins, iptables and the built CLI; skips with a message outside CI, fails in CI. */
export function cniE2eAvailable(extra: readonly string[] = []): boolean {
  if (!e2eAvailable('runc')) return false;
  const missing = [
    ...['bridge', 'host-local', 'portmap'].filter((p) => !existsSync(`/usr/lib/cni/${p}`)).map((p) => `CNI plugin ${p} (containernetworking-plugins)`),
    ...(which('iptables') ? [] : ['iptables']),
    ...(existsSync(path.join(REPO, 'dist/cli.cjs')) ? [] : ['the built CLI (npm run build)']),
    ...extra.filter((cmd) => !which(cmd)),
  ];
  if (missing.length === 0) return true;
  const msg = `compose-keys e2e needs ${missing.join(', ')}`;
  if (IN_CI) throw new Error(`${msg}, and CI=true`);
  console.warn(`skipping: ${msg}`);
  return false;
}

export const sh = (cmd: string, args: string[], input?: string) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000, ...(input !== undefined ? { input } : {}) });

export interface KeysSandbox {
  dir: string;
  dataDir: string;
  runRoot: string;
  rootfs: string;
  env: NodeJS.ProcessEnv;
  /** Write `<dir>/<sub>/compose.yaml` (and a config naming the data dir) and return the directory. */
  project(sub: string, compose: string): string;
  /** Run the CLI in `cwd` (a project directory). */
  ctnr(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string };
  /** `runc exec ID ARGS…` under the sandbox's run root. */
  exec(id: string, ...args: string[]): { status: number | null; stdout: string; stderr: string };
  /** The container ids the runtime knows. */
  runtimeState(): string[];
  /** Wait until `file` contains `text` (a detached container's log), up to `ms`. */
  waitFor(file: string, text: string | RegExp, ms?: number): Promise<string>;
  /** Remove what a failed test may have left: containers, pinned namespaces of ids starting with `idPrefix`, mounts, bridges, files. */
  cleanup(networks: readonly string[], idPrefix: string): void;
}

export function keysSandbox(): KeysSandbox {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-keys-'));
  const dataDir = path.join(dir, 'data');
  const runRoot = path.join(dir, 'run');
  const { rootfs } = buildBusyboxRootfs(path.join(dir, 'rootfs'));
  const env: NodeJS.ProcessEnv = { ...process.env, CTNR_RUN_ROOT: runRoot, NO_COLOR: '1' };
  const validated = new Set<string>();
  const validate = () => {
    const bundles = path.join(dataDir, 'bundles');
    if (!existsSync(bundles)) return;
    for (const b of readdirSync(bundles)) {
      const f = path.join(bundles, b, 'config.json');
      if (!existsSync(f) || validated.has(f + readFileSync(f, 'utf8').length)) continue;
      validated.add(f + readFileSync(f, 'utf8').length);
      expectValidSpec(JSON.parse(readFileSync(f, 'utf8')));
    }
  };
  const runtimeState = () => {
    const r = sh('runc', ['--root', path.join(runRoot, 'runc'), 'list', '-q']);
    return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
  };
  return {
    dir,
    dataDir,
    runRoot,
    rootfs,
    env,
    project(sub, compose) {
      const p = path.join(dir, sub);
      mkdirSync(p, { recursive: true });
      writeFileSync(path.join(p, 'compose.yaml'), compose);
      writeFileSync(path.join(p, 'ctnr.config.json'), JSON.stringify({ dataDir }) + '\n');
      return p;
    },
    ctnr(cwd, ...args) {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
      validate();
      return { status: r.status, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : '') };
    },
    exec(id, ...args) {
      const r = spawnSync('runc', ['--root', path.join(runRoot, 'runc'), 'exec', id, ...args], { encoding: 'utf8', timeout: 30_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    runtimeState,
    async waitFor(file, text, ms = 15_000) {
      const end = Date.now() + ms;
      for (;;) {
        const content = existsSync(file) ? readFileSync(file, 'utf8') : '';
        if (typeof text === 'string' ? content.includes(text) : text.test(content)) return content;
        if (Date.now() > end) return content;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    cleanup(networks, idPrefix) {
      for (const id of runtimeState()) sh('runc', ['--root', path.join(runRoot, 'runc'), 'delete', '--force', id]);
      for (const ns of existsSync('/run/netns') ? readdirSync('/run/netns') : []) {
        if (ns.startsWith(`ctnr-${idPrefix}`)) sh('ip', ['netns', 'delete', ns]);
      }
      for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n').reverse()) {
        const mp = line.split(' ')[1];
        if (mp && mp.startsWith(dir + '/')) sh('umount', ['-l', mp]);
      }
      for (const n of networks) if (sh('ip', ['link', 'show', 'dev', bridgeName(n)]).status === 0) sh('ip', ['link', 'del', bridgeName(n)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Copy host programs (`/usr/bin/ipcmk`) into a rootfs with the shared libraries `ldd` lists, at the same paths,
 * for probes busybox has no applet for. False when one is missing or not linkable this way.
 */
export function addHostBinaries(rootfs: string, bins: readonly string[]): boolean {
  for (const bin of bins) {
    if (!existsSync(bin)) return false;
    const ldd = sh('ldd', [bin]);
    const libs = [...ldd.stdout.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
    for (const f of [bin, ...libs]) {
      mkdirSync(path.join(rootfs, path.dirname(f)), { recursive: true });
      if (!existsSync(path.join(rootfs, f))) sh('cp', ['-L', f, path.join(rootfs, f)]);
    }
  }
  return true;
}

/** A process that serves `text` on port 8080 over HTTP (busybox httpd) and stops at once on SIGTERM. */
export function httpd(text: string): string {
  // Containers of these tests share one rootfs directory: each server its own document root.
  return JSON.stringify(['sh', '-c', `mkdir -p /tmp/www-${text} && echo ${text} > /tmp/www-${text}/index.html && exec httpd -f -p 8080 -h /tmp/www-${text}`]);
}

/** A process that sleeps until stopped (pid 1 ignores SIGTERM without a handler: trap it). */
export const IDLE = JSON.stringify(['sh', '-c', "trap 'exit 0' TERM; while :; do sleep 0.2; done"]);
