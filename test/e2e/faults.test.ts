import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bridgeName } from '../../src/network/default-conf.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, which } from '../helpers/runc.js';
import { IN_CI, REPO } from '../helpers/shared.js';
import { writeOciLayout } from '../unit/bundle/oci-layout.js';

/**
 * Faults while ctnr works: the runtime killed with -9 while `up` starts a container (its network must not
 * leak), `bundle create` killed with -9 (its temporary directory is collected later), and two commands on
 * one project at once (a project lock serialises them). Everything runs under a private run root, data dir
 * and bridge; afterAll removes whatever a failing test left.
 */

const CLI = path.join(REPO, 'bin/ctnr.cjs');
const BUILT = existsSync(path.join(REPO, 'dist/cli.cjs'));
const CNI_READY = ['bridge', 'host-local', 'portmap'].every((p) => existsSync(`/usr/lib/cni/${p}`)) && Boolean(which('iptables'));
/** Above the kernel's largest pid_max: never a live process. */
const NO_PID = 2 ** 22 + 12345;

function needs(what: string, ok: boolean): boolean {
  if (ok) return true;
  const msg = `faults e2e needs ${what}`;
  if (IN_CI) throw new Error(`${msg}, and CI=true`);
  console.warn(`skipping: ${msg}`);
  return false;
}

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Pids whose command line contains every one of `words` (in order of appearance not required). */
function pidsWith(...words: string[]): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (words.every((w) => argv.includes(w))) out.push(Number(e));
  }
  return out;
}

interface Running {
  child: ChildProcess;
  out: () => { stdout: string; stderr: string };
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function start(args: string[], cwd: string, env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Awaited<Running['done']>>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, out: () => ({ stdout, stderr }), done };
}

/** Cgroup directories named `id` below this process's own cgroups (where runc puts a container without cgroupsPath). */
function cgroupsNamed(id: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers, own] = line.split(':');
    const names = controllers === '' ? ['unified', ''] : [controllers!.replace(/^name=/, '')];
    for (const n of names) {
      const dir = path.join('/sys/fs/cgroup', n, own!, id);
      if (existsSync(dir)) out.push(dir);
    }
  }
  return [...new Set(out)];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!needs('root, runc, busybox, CNI plugins, iptables and the built CLI', e2eAvailable('runc') && CNI_READY && BUILT))('runc killed with -9 while up starts a container (CNI)', () => {
  const project = `ctnrflt${process.pid}`;
  const id = `${project}-web`;
  const network = `${project}_default`;
  const bridge = bridgeName(network);
  let dir: string;
  let dataDir: string;
  let runRoot: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let cleanupRootfs: () => void = () => {};

  const ctnr = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 90_000 });
  const stateFile = () => path.join(dataDir, 'networks', `${network}.json`);
  const leases = () => {
    const d = path.join(dataDir, 'networks/ipam', network);
    return existsSync(d) ? readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-faults-'));
    dataDir = path.join(dir, 'data');
    runRoot = path.join(dir, 'run');
    cleanupRootfs = buildBusyboxRootfs(path.join(dir, 'rootfs')).cleanup;
    port = await freePort();
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      [`name: ${project}`, 'services:', '  web:', '    image: busybox', '    command: ["sleep", "1000"]', '    stop_signal: SIGKILL', `    ports: ["127.0.0.1:${port}:80"]`, ''].join('\n'),
    );
    writeFileSync(path.join(dir, 'ctnr.config.mjs'), `export default { dataDir: ${JSON.stringify(dataDir)} };\n`);
    env = { ...process.env, CTNR_RUN_ROOT: runRoot, NO_COLOR: '1' };
  });

  afterAll(() => {
    if (!dir) return;
    ctnr('down');
    sh('runc', ['--root', path.join(runRoot, 'runc'), 'delete', '-f', id]);
    // Whatever a failing test left: processes in the container's cgroups, its endpoint (CNI DEL through the hook
    // releases the leases and NAT rules), the pin, the bridge, the cgroups.
    for (const c of cgroupsNamed(id)) for (const p of readFileSync(path.join(c, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) sh('kill', ['-9', p]);
    if (existsSync(stateFile()) && existsSync(path.join(dataDir, 'bundles', id))) {
      spawnSync(process.execPath, [CLI, 'hook', 'network', 'down'], { input: JSON.stringify({ id, pid: 0, bundle: path.join(dataDir, 'bundles', id) }), env });
    }
    if (existsSync(`/run/netns/ctnr-${id}`)) sh('ip', ['netns', 'delete', `ctnr-${id}`]);
    if (sh('ip', ['link', 'show', 'dev', bridge]).status === 0) sh('ip', ['link', 'del', bridge]);
    for (const c of cgroupsNamed(id)) sh('rmdir', [c]);
    cleanupRootfs();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `ctnr up`, stopped at the moment the network hook has pinned the container's namespace. */
  async function upUntilNetworkHook(): Promise<{ up: Running; runc: number }> {
    const up = start(['up', '--rootfs', 'rootfs', '--runtime', 'runc'], dir, env);
    await until('the network hook to pin the namespace', () => existsSync(`/run/netns/ctnr-${id}`) || up.child.exitCode !== null);
    const [runc] = pidsWith('--root', path.join(runRoot, 'runc'), 'run');
    expect(runc, `runc run is not running; up said: ${up.out().stderr}`).toBeDefined();
    return { up, runc: runc! };
  }

  function expectNothingLeft(): void {
    expect(existsSync(`/run/netns/ctnr-${id}`)).toBe(false);
    expect(existsSync(stateFile())).toBe(false);
    expect(leases()).toEqual([]);
    expect(sh('ip', ['link', 'show', 'dev', bridge]).status).not.toBe(0);
    const rules = sh('iptables-save', []).stdout;
    expect(rules).not.toContain(id);
    expect(rules).not.toContain(`--dport ${port} `);
    expect(cgroupsNamed(id)).toEqual([]);
    expect(JSON.parse(ctnr('ps', '--json').stdout)).toEqual([]);
  }

  it('up fails naming the signal, and releases the namespace, bridge, veth, NAT rules, leases and cgroups it set up', async () => {
    const { up, runc } = await upUntilNetworkHook();
    process.kill(runc, 'SIGKILL');
    const r = await up.done;
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`runc was killed by SIGKILL while starting ${id}`));
    expect(r.stderr).not.toMatch(/exit status null/);
    expect(r.stdout).not.toContain('started');
    expectNothingLeft();
  });

  it('when ctnr dies with the runtime and its record is lost, down still releases every endpoint the network state records', async () => {
    const { up, runc } = await upUntilNetworkHook();
    // A crash of both (OOM killer, power cut): ctnr never reaches its failure path.
    up.child.kill('SIGSTOP');
    process.kill(runc, 'SIGKILL');
    up.child.kill('SIGKILL');
    await up.done;
    // Wait for the orphaned hook to finish its ADD (it holds the network lock meanwhile).
    await until('the network hook to finish', () => pidsWith('hook', 'network', 'up').length === 0 && existsSync(stateFile()));
    expect(existsSync(`/run/netns/ctnr-${id}`)).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(stateFile(), 'utf8')).endpoints)).toEqual([id]);
    // The record under the run root is gone too (a reboot empties /run; the data dir stays).
    rmSync(path.join(runRoot, 'containers'), { recursive: true, force: true });
    expect(JSON.parse(ctnr('ps', '--json').stdout)).toEqual([]);

    const down = ctnr('down');
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain(`${id} network released`);
    expectNothingLeft();
  });
});

describe.skipIf(!needs('root, runc, busybox and the built CLI', e2eAvailable('runc') && BUILT))('one project, two commands at once (runc)', () => {
  const project = `ctnrlck${process.pid}`;
  const services = ['a', 'b', 'c'];
  let dir: string;
  let runRoot: string;
  let env: NodeJS.ProcessEnv;
  let cleanupRootfs: () => void = () => {};
  const args = ['--rootfs', 'rootfs', '--runtime', 'runc', '--data-dir', 'data'];
  const ctnr = (...a: string[]) => spawnSync(process.execPath, [CLI, ...a], { cwd: dir, env, encoding: 'utf8', timeout: 90_000 });
  const runtimeState = () => sh('runc', ['--root', path.join(runRoot, 'runc'), 'list', '-q']).stdout.split('\n').filter(Boolean);

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-lock-'));
    runRoot = path.join(dir, 'run');
    cleanupRootfs = buildBusyboxRootfs(path.join(dir, 'rootfs')).cleanup;
    const lines = [`name: ${project}`, 'services:'];
    services.forEach((s, i) => {
      lines.push(`  ${s}:`, '    image: busybox', '    command: ["sleep", "1000"]', '    stop_signal: SIGKILL', '    network_mode: none');
      if (i > 0) lines.push(`    depends_on: [${services[i - 1]}]`);
    });
    writeFileSync(path.join(dir, 'compose.yaml'), lines.join('\n') + '\n');
    env = { ...process.env, CTNR_RUN_ROOT: runRoot, NO_COLOR: '1' };
  });

  afterEach(() => {
    ctnr('down', '--data-dir', 'data');
    for (const id of runtimeState()) sh('runc', ['--root', path.join(runRoot, 'runc'), 'delete', '-f', id]);
  });

  afterAll(() => {
    if (!dir) return;
    cleanupRootfs();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Start `first`, freeze it once it has started service a, start `second`, and let `first` go on once `second` waits. */
  async function overlap(first: string[], second: string[]) {
    const one = start(first, dir, env);
    await until('the first command to start a', () => one.out().stdout.includes(`${project}-a started`) || one.child.exitCode !== null);
    one.child.kill('SIGSTOP');
    const two = start(second, dir, env);
    try {
      await until('the second command to wait for the first', () => /waiting for/.test(two.out().stderr) || two.child.exitCode !== null, 20_000);
    } finally {
      one.child.kill('SIGCONT');
    }
    return { one: await one.done, two: await two.done };
  }

  it('a second up waits for the first (saying so), then finds every service running', async () => {
    const { one, two } = await overlap(['up', ...args], ['up', ...args]);
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stderr).toMatch(new RegExp(`waiting for ctnr \\(pid \\d+\\) to finish with project ${project}`));
    expect(one.stdout).toBe(services.map((s) => `${project}-${s} started\n`).join(''));
    expect(two.stdout).toBe(services.map((s) => `${project}-${s} already running\n`).join(''));
    expect(runtimeState().sort()).toEqual(services.map((s) => `${project}-${s}`));
  });

  it('a down during up waits for it, then removes every service up started', async () => {
    const { one, two } = await overlap(['up', ...args], ['down', '--data-dir', 'data']);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toBe(services.map((s) => `${project}-${s} started\n`).join(''));
    expect(two.status, two.stderr).toBe(0);
    expect(two.stdout).toBe([...services].reverse().map((s) => `${project}-${s} removed\n`).join(''));
    expect(runtimeState()).toEqual([]);
    expect(existsSync(path.join(runRoot, 'containers')) ? readdirSync(path.join(runRoot, 'containers')) : []).toEqual([]);
  });
});

describe.skipIf(!needs('busybox, mkfifo and the built CLI', BUILT && Boolean(which('mkfifo')) && Boolean(which('busybox'))))('bundle create killed with -9', () => {
  const project = `ctnrtmp${process.pid}`;
  let dir: string;
  let bundles: string;
  let cleanupRootfs: () => void = () => {};
  let sleeper: ChildProcess | undefined;
  const ctnr = (...a: string[]) => spawnSync(process.execPath, [CLI, ...a], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
  const entries = () => readdirSync(bundles).sort();

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-killed-'));
    bundles = path.join(dir, 'data/bundles');
    cleanupRootfs = buildBusyboxRootfs(path.join(dir, 'rootfs')).cleanup;
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      [`name: ${project}`, 'services:', ...['one', 'two', 'three'].flatMap((s) => [`  ${s}:`, '    image: busybox', '    command: ["true"]']), ''].join('\n'),
    );
    // An image layout whose only layer is a FIFO nobody writes: unpacking it blocks inside the staging dir.
    const layer = path.join(dir, 'layer');
    mkdirSync(layer);
    writeFileSync(path.join(layer, 'hello'), 'hi\n');
    writeOciLayout(path.join(dir, 'layout'), [{ layers: [layer] }]);
    const index = JSON.parse(readFileSync(path.join(dir, 'layout/index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(path.join(dir, 'layout/blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
    const blob = path.join(dir, 'layout/blobs/sha256', manifest.layers[0].digest.slice(7));
    rmSync(blob);
    expect(sh('mkfifo', [blob]).status).toBe(0);
  });

  afterAll(() => {
    sleeper?.kill('SIGKILL');
    cleanupRootfs();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves only its temporary directory, which list --all shows and the next write in that directory collects', async () => {
    expect(ctnr('bundle', 'create', 'three', '--rootfs', 'rootfs', '--data-dir', 'data').status).toBe(0);
    const create = start(['bundle', 'create', 'one', '--image', 'layout', '--data-dir', 'data'], dir, { ...process.env, NO_COLOR: '1' });
    let tmp = '';
    await until('the staging directory', () => {
      tmp = (existsSync(bundles) ? readdirSync(bundles) : []).find((e) => e.startsWith(`.${project}-one.tmp-`)) ?? '';
      return tmp !== '' || create.child.exitCode !== null;
    });
    const pid = Number(tmp.slice(tmp.lastIndexOf('-') + 1));
    process.kill(pid, 'SIGKILL');
    await create.done;
    // Never a half bundle under the real name.
    expect(entries()).toEqual([`${project}-three`, tmp].sort());

    // A build still in progress (its pid is alive) and a swap cut between its two renames (the old bundle
    // moved aside, the new one not yet in place): one is left alone, the other is put back.
    sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    const live = `.${project}-two.tmp-${sleeper.pid}`;
    mkdirSync(path.join(bundles, live));
    const moved = `.${project}-three.old-${NO_PID}`;
    renameSync(path.join(bundles, `${project}-three`), path.join(bundles, moved));

    const hidden = ctnr('bundle', 'list', '--data-dir', 'data');
    expect(hidden.stdout).not.toContain('.tmp-');
    const all = ctnr('bundle', 'list', '--all', '--data-dir', 'data');
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`^\\${tmp}\\s.*stale \\(pid ${pid} is gone\\)`, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^\\${live}\\s.*in progress \\(pid ${sleeper.pid}\\)`, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^\\${moved}\\s.*stale \\(pid ${NO_PID} is gone\\)`, 'm'));
    const json = JSON.parse(ctnr('bundle', 'list', '--all', '--json', '--data-dir', 'data').stdout) as Array<{ name: string; temporary?: { pid: number; alive: boolean } }>;
    expect(json.find((b) => b.name === tmp)?.temporary).toEqual(expect.objectContaining({ pid, alive: false }));
    // list only looks.
    expect(entries()).toEqual([moved, tmp, live].sort());

    const next = ctnr('bundle', 'create', 'two', '--rootfs', 'rootfs', '--data-dir', 'data', path.join(bundles, `${project}-other`));
    expect(next.status, next.stderr).toBe(0);
    expect(entries()).toEqual([live, `${project}-other`, `${project}-three`].sort());
    expect(existsSync(path.join(bundles, `${project}-three/ctnr.json`))).toBe(true);
  });
});
