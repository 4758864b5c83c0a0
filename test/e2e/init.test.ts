import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INIT_DESTINATION } from '../../plugins/process/init.js';
import { writeBundleFiles } from '../../src/bundle/writer.js';
import { createEnv, hostBoundingSet } from '../../src/linux/env.js';
import { readElf } from '../../src/linux/init/elf.js';
import { findInitBinary } from '../../src/linux/init/find.js';
import type { BundleFile, Env } from '../../src/engine/types.js';
import { runServiceYaml } from '../helpers/engine.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, parseFacts, runBundle } from '../helpers/runc.js';
import { IN_CI } from '../helpers/shared.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started {
  id: string;
  readonly stdout: string;
  readonly stderr: string;
  /** The `runc run` exit status once the container has exited, or 'running' after `ms`. */
  exit(ms: number): Promise<number | null | 'running'>;
  /** Resolves when stdout contains `text` (fails after 10 s). */
  waitFor(text: string): Promise<void>;
  runc(...args: string[]): { status: number | null; stdout: string; stderr: string };
  remove(): Promise<void>;
}

let counter = 0;
const started: Started[] = [];

interface Generated {
  spec: any;
  files: BundleFile[];
}

/** A fresh bundle directory holding the files the pipeline declared (generated /etc/hosts & co.). */
function bundleWith(files: readonly BundleFile[]): string {
  const bundle = mkdtempSync(path.join(os.tmpdir(), 'ctnr-init-bundle-'));
  writeBundleFiles(bundle, files);
  return bundle;
}

/** runBundle (foreground, waits for the exit) with the declared bundle files in place. */
function runGenerated({ spec, files }: Generated, rootfs: string) {
  const bundle = bundleWith(files);
  try {
    return runBundle(spec, rootfs, { bundleDir: bundle });
  } finally {
    rmSync(bundle, { recursive: true, force: true });
  }
}

/**
 * `runc run` in the background (foreground mode, no terminal, output collected), so the test can signal the
 * container with `runc kill` and look inside with `runc exec` while it runs. The shared runBundle helper
 * waits for the container to exit, which these tests cannot do.
 */
function start({ spec, files }: Generated, rootfs: string): Started {
  const bundle = bundleWith(files);
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ...spec, root: { ...spec.root, path: rootfs }, process: { ...spec.process, terminal: false } }));
  const id = `ctnr-init-test-${process.pid}-${++counter}`;
  const child = spawn('runc', ['run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const runc = (...args: string[]) => {
    const r = spawnSync('runc', args, { encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const s: Started = {
    id,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exit: (ms) => Promise.race([exited, sleep(ms).then(() => 'running' as const)]),
    async waitFor(text) {
      for (let t = 0; t < 200 && !stdout.includes(text); t++) {
        if (child.exitCode !== null) break;
        await sleep(50);
      }
      if (!stdout.includes(text)) throw new Error(`container never printed ${JSON.stringify(text)}; stdout=${stdout} stderr=${stderr}`);
    },
    runc: (...args) => runc(...args),
    async remove() {
      runc('kill', id, 'KILL');
      await Promise.race([exited, sleep(5_000)]);
      runc('delete', '-f', id);
      rmSync(bundle, { recursive: true, force: true });
    },
  };
  started.push(s);
  return s;
}

/** Process states inside the container, read by a shell started with `runc exec` (pid, comm, state, ppid). */
function processes(c: Started): Array<{ pid: number; comm: string; state: string; ppid: number }> {
  const r = c.runc('exec', c.id, '/bin/sh', '-c', 'for f in /proc/[0-9]*/stat; do read -r l < "$f" && echo "$l"; done');
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      // pid (comm) state ppid …: comm may hold spaces, so split at the last ')'.
      const close = line.lastIndexOf(')');
      const [state, ppid] = line.slice(close + 2).split(' ');
      return { pid: Number(line.slice(0, line.indexOf(' '))), comm: line.slice(line.indexOf('(') + 1, close), state: state!, ppid: Number(ppid) };
    });
}

/** The e2e tests use this machine's own search (PATH, libexec dirs): .ci/run installs tini (tini-static). */
function staticInitAvailable(): boolean {
  if (findInitBinary({ searchPath: process.env.PATH ?? '', arch: createEnv().arch }).found) return true;
  const msg = 'init e2e needs a static init binary (apt-get install tini)';
  if (IN_CI) throw new Error(`${msg}, and CI=true: .ci/run must install it`);
  console.warn(`skipping ${msg}`);
  return false;
}

describe.skipIf(!e2eAvailable('runc') || !staticInitAvailable())('init: true under runc', () => {
  let rootfs: string;
  let cleanup: () => void;
  beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
  afterEach(async () => {
    for (const s of started.splice(0)) await s.remove();
  });
  afterAll(() => cleanup?.());

  const generate = async (init: boolean, command: string, extra: Record<string, unknown> = {}, envExtra: Partial<Env> = {}): Promise<Generated> => {
    // Compose interpolates `$`: escape the script as `$$` so the shell receives it verbatim.
    const script = command.replaceAll('$', '$$$$');
    // The host's bounding set, as the CLI's createEnv gives it: privileged asks for exactly those caps.
    const hostCapabilities = hostBoundingSet();
    const env = { rootfs, ...(hostCapabilities ? { hostCapabilities } : {}), ...envExtra };
    const result = await runServiceYaml({ init, entrypoint: ['/bin/sh', '-c', script], command: null, ...extra }, { env });
    return { spec: result.spec, files: result.files };
  };

  it("this machine's search binds a static init (Debian's dynamic /usr/bin/tini is passed over)", async () => {
    const { spec } = await generate(true, 'true');
    const source = spec.mounts!.find((m: { destination: string }) => m.destination === INIT_DESTINATION)!.source as string;
    const elf = readElf(source);
    expect(typeof elf).toBe('object');
    expect(elf).not.toHaveProperty('interpreter');
  });

  const pidProbe = 'echo "cmdline=$(tr "\\000" " " < /proc/1/cmdline)"; echo "self=$$"; echo "comm1=$(cat /proc/1/comm)"';

  it.each([
    { init: true, extra: {}, cmdline: `${INIT_DESTINATION} -- /bin/sh -c ${pidProbe} `, selfIsOne: false },
    { init: true, extra: { privileged: true }, cmdline: `${INIT_DESTINATION} -- /bin/sh -c ${pidProbe} `, selfIsOne: false },
    { init: false, extra: {}, cmdline: `/bin/sh -c ${pidProbe} `, selfIsOne: true },
  ])('init: $init $extra → pid 1 is the init, not the shell (or the shell without it)', async ({ init, extra, cmdline, selfIsOne }) => {
    const r = runGenerated(await generate(init, pidProbe, extra), rootfs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const f = parseFacts(r.stdout);
    expect(f.cmdline).toBe(cmdline);
    expect(f.self === '1').toBe(selfIsOne);
    // tini or catatonit, whichever the search found (not the shell).
    if (init) expect(f.comm1).not.toBe('sh');
  });

  it('works with read_only: the mount point is created before the root turns read-only', async () => {
    const r = runGenerated(await generate(true, 'tr "\\000" " " < /proc/1/cmdline; touch /x 2>/dev/null || echo ro', { read_only: true }), rootfs);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${INIT_DESTINATION} -- /bin/sh -c tr "\\000" " " < /proc/1/cmdline; touch /x 2>/dev/null || echo ro ro\n`);
  });

  it('the bound binary is read-only even for root in the container (explicit init.path)', async () => {
    // A copy, so a failure of this test can never damage the host's own init binary.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-init-copy-'));
    try {
      const copy = path.join(dir, 'init');
      copyFileSync(findInitBinary({ searchPath: process.env.PATH ?? '', arch: createEnv().arch }).found!, copy);
      chmodSync(copy, 0o755);
      const size = statSync(copy).size;
      const probe = 'echo "cmdline=$(tr "\\000" " " < /proc/1/cmdline)"; echo "write=$( (: > /sbin/docker-init) 2>&1 && echo ok)"';
      const gen = await generate(true, probe, {}, { initPath: copy });
      expect(gen.spec.mounts).toContainEqual({ destination: INIT_DESTINATION, type: 'bind', source: copy, options: ['bind', 'ro', 'nosuid', 'nodev'] });
      const r = runGenerated(gen, rootfs);
      expect(r.stderr).toBe('');
      const f = parseFacts(r.stdout);
      expect(f.cmdline).toMatch(new RegExp(`^${INIT_DESTINATION} -- /bin/sh -c `));
      // EROFS from the ro bind (not a permission check that root, or a userns root owning the file, could pass).
      expect(f.write).toMatch(/Read-only file system/);
      expect(statSync(copy).size).toBe(size);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rootless (user namespace, container root = host uid 1000): the read-only bind works, pid 1 is the init', async () => {
    // A rootless user owns the rootfs it unpacked; runc creates the mount point as that user.
    const own = buildBusyboxRootfs();
    try {
      execFileSync('chown', ['-R', '-h', '1000:1000', own.rootfs]);
      const probe = 'echo "cmdline=$(tr "\\000" " " < /proc/1/cmdline)"; echo "uidmap=$(cat /proc/self/uid_map)"; echo "write=$( (: > /sbin/docker-init) 2>&1 && echo ok)"';
      const gen = await generate(true, probe, { read_only: true }, { rootfs: own.rootfs, rootless: true, uid: 1000, gid: 1000 });
      expect(gen.spec.linux?.namespaces).toContainEqual({ type: 'user' });
      const r = runGenerated(gen, own.rootfs);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const f = parseFacts(r.stdout);
      expect(f.cmdline).toMatch(new RegExp(`^${INIT_DESTINATION} -- /bin/sh -c `));
      expect(f.uidmap!.trim().split(/\s+/)).toEqual(['0', '1000', '1']);
      // EROFS from the ro bind (not a permission check that root, or a userns root owning the file, could pass).
      expect(f.write).toMatch(/Read-only file system/);
    } finally {
      own.cleanup();
    }
  });

  // A shell that traps nothing: as pid 1 the kernel drops SIGTERM (no handler); as the init's child it dies.
  const loop = 'echo ready; while :; do sleep 1; done';

  it('init: true → SIGTERM from `runc kill` stops a shell that traps nothing', async () => {
    const c = start(await generate(true, loop), rootfs);
    await c.waitFor('ready');
    expect(c.runc('kill', c.id, 'TERM').status).toBe(0);
    // tini exits with 128 + the signal that killed its child.
    expect(await c.exit(5_000)).toBe(143);
  });

  it('init: false → the same shell as pid 1 ignores SIGTERM (the comparison)', async () => {
    const c = start(await generate(false, loop), rootfs);
    await c.waitFor('ready');
    expect(c.runc('kill', c.id, 'TERM').status).toBe(0);
    expect(await c.exit(2_000)).toBe('running');
  });

  // A subshell starts `sleep` in the background and exits: the sleep is orphaned and re-parented to pid 1.
  // The main process then execs a long sleep, which never calls wait(), so only a real init reaps it.
  const orphan = '(sleep 0.2 &); echo ready; exec sleep 30';

  it.each([
    { init: true, zombies: 0 },
    { init: false, zombies: 1 },
  ])('init: $init → $zombies zombie(s) left by an orphaned process that exited', async ({ init, zombies }) => {
    const c = start(await generate(init, orphan), rootfs);
    await c.waitFor('ready');
    await sleep(1_000);
    const ps = processes(c);
    const z = ps.filter((p) => p.state === 'Z');
    expect(z, JSON.stringify(ps)).toHaveLength(zombies);
    if (zombies) expect(z[0]).toMatchObject({ comm: 'sleep', ppid: 1 });
    // The long sleep is alive either way; with the init it is pid 1's child, without it is pid 1.
    const main = ps.find((p) => p.comm === 'sleep' && p.state !== 'Z')!;
    expect(init ? main.ppid : main.pid).toBe(1);
  });
});
