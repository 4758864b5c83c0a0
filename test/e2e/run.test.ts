import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, which } from '../helpers/runc.js';
import { REPO } from '../helpers/shared.js';
import { CLI, crunNeedsWorkaround, ctnr, ctnrAsync, withSandbox, type Sandbox } from '../unit/bundle/cli.js';

/** Write a compose file into the sandbox and return its path. */
function compose(sb: Sandbox, name: string, text: string): string {
  const dir = path.join(sb.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'compose.yaml'), text);
  return path.join(dir, 'compose.yaml');
}

describe.skipIf(!e2eAvailable('runc'))('ctnr run (runc)', () => {
  let sb: Sandbox;
  let rootfs: string;
  withSandbox((s, r) => {
    sb = s;
    rootfs = r;
  });
  const run = (file: string, service: string, extra: string[] = []) =>
    ctnr(['run', '-f', file, service, '--rootfs', rootfs, '--data-dir', sb.dataDir, '--runtime', 'runc', ...extra], sb);

  it('runs the hello example after its build-rootfs.sh, as the README says', () => {
    const dir = path.join(sb.dir, 'hello');
    mkdirSync(dir);
    for (const f of ['compose.yaml', 'ctnr.config.json', 'build-rootfs.sh']) copyFileSync(path.join(REPO, 'examples/hello', f), path.join(dir, f));
    execFileSync('sh', [path.join(dir, 'build-rootfs.sh')], { stdio: 'ignore' });
    const r = ctnr(['run', '-f', path.join(dir, 'compose.yaml'), 'hello', '--data-dir', sb.dataDir], sb);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.stdout).toMatch(/^Hello from ctnr: I am app in \/home\/app on \S+\n$/);
    expect(r.status).toBe(0);
  });

  it('forwards stdout, stderr and the exit status, and leaves no runtime state', () => {
    const file = compose(sb, 'exit', 'services:\n  s:\n    image: x\n    command: ["/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3"]\n');
    const r = run(file, 's');
    expect(r.stdout).toBe('to-out\n');
    expect(r.stderr).toContain('to-err\n');
    expect(r.status).toBe(3);
    expect(sb.runtimeState()).toEqual([]);
    expect(sb.records()).toEqual([]);
  });

  it('keeps the bundle by default and removes it with --rm', () => {
    const file = compose(sb, 'keep', 'name: keep\nservices:\n  s:\n    image: x\n    command: ["true"]\n');
    expect(run(file, 's').status).toBe(0);
    expect(existsSync(path.join(sb.dataDir, 'bundles/keep-s/config.json'))).toBe(true);
    expect(run(file, 's', ['--rm']).status).toBe(0);
    expect(existsSync(path.join(sb.dataDir, 'bundles/keep-s'))).toBe(false);
  });

  it('SIGTERM to ctnr run stops the container with the stop signal of the spec and leaves no state', async () => {
    const file = compose(
      sb,
      'stop',
      [
        'name: stop',
        'services:',
        '  s:',
        '    image: x',
        '    stop_signal: SIGUSR1',
        '    stop_grace_period: 20s',
        // pid 1 ignores signals without a handler: the traps say which one arrived
        `    command: ["/bin/sh", "-c", "trap 'echo got-USR1; exit 42' USR1; trap 'echo got-TERM; exit 43' TERM; echo ready; while :; do sleep 0.1; done"]`,
      ].join('\n') + '\n',
    );
    const { child, ready, done } = ctnrAsync(['run', '-f', file, 's', '--rootfs', rootfs, '--data-dir', sb.dataDir, '--runtime', 'runc'], sb, 'ready\n');
    await ready;
    child.kill('SIGTERM');
    const r = await done;
    expect(r.stdout).toBe('ready\ngot-USR1\n');
    expect(r.status).toBe(42);
    expect(sb.runtimeState()).toEqual([]);
    expect(sb.records()).toEqual([]);
  });

  it('falls back to SIGKILL when the container ignores the stop signal past the grace period', async () => {
    const file = compose(
      sb,
      'stubborn',
      ['services:', '  s:', '    image: x', '    stop_grace_period: 500ms', `    command: ["/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"]`].join('\n') + '\n',
    );
    const { child, ready, done } = ctnrAsync(['run', '-f', file, 's', '--rootfs', rootfs, '--data-dir', sb.dataDir, '--runtime', 'runc'], sb, 'ready\n');
    await ready;
    const t0 = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    expect(r.status).toBe(137);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(r.stderr).toMatch(/did not stop within 0.5s of SIGTERM: sending SIGKILL/);
    expect(sb.runtimeState()).toEqual([]);
  });

  it('a failing bundle creation (bad user) exits 1 and leaves no bundle and no state', () => {
    const file = compose(sb, 'baduser', 'name: baduser\nservices:\n  s:\n    image: x\n    user: ghost\n    command: ["true"]\n');
    const r = run(file, 's');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ghost/);
    expect(existsSync(path.join(sb.dataDir, 'bundles/baduser-s'))).toBe(false);
    expect(sb.runtimeState()).toEqual([]);
  });

  it('run -d --rm, ps and down: down stops it with the stop signal and removes state, record and bundle', async () => {
    const file = compose(
      sb,
      'detached',
      ['name: det', 'services:', '  s:', '    image: x', '    stop_signal: SIGUSR2', `    command: ["/bin/sh", "-c", "trap 'echo got-USR2; exit 0' USR2; echo started; while :; do sleep 0.1; done"]`].join('\n') + '\n',
    );
    const r = run(file, 's', ['-d', '--rm']);
    expect(r.stdout).toBe('det-s\n');
    expect(r.status).toBe(0);
    const ps = JSON.parse(ctnr(['ps', '--json'], sb).stdout);
    expect(ps).toEqual([expect.objectContaining({ id: 'det-s', project: 'det', service: 's', runtime: 'runc', status: 'running' })]);
    const again = run(file, 's', ['-d']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already running/);
    const bundle = path.join(sb.dataDir, 'bundles/det-s');
    const t0 = Date.now();
    const down = ctnr(['down', '-f', file], sb);
    expect(down.stdout).toBe('det-s removed\n');
    // pid 1 ignores SIGTERM here (no trap): only SIGUSR2 ends it before the 10 s grace period and SIGKILL.
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(down.stderr).not.toMatch(/SIGKILL/);
    expect(sb.runtimeState()).toEqual([]);
    expect(sb.records()).toEqual([]);
    expect(existsSync(bundle)).toBe(false);
  });

  it('run -d keeps its bundle and writes the container output to ctnr.log in it', async () => {
    const file = compose(sb, 'logged', 'name: logged\nservices:\n  s:\n    image: x\n    command: ["/bin/sh", "-c", "echo to-log; echo err-log >&2"]\n');
    expect(run(file, 's', ['-d']).status).toBe(0);
    const log = path.join(sb.dataDir, 'bundles/logged-s/ctnr.log');
    for (let i = 0; i < 50 && !(existsSync(log) && readFileSync(log, 'utf8').includes('err-log')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(log, 'utf8').split('\n').sort()).toEqual(['', 'err-log', 'to-log']);
    expect(ctnr(['down', '-f', file], sb).stdout).toBe('logged-s removed\n');
    expect(existsSync(path.join(sb.dataDir, 'bundles/logged-s/config.json'))).toBe(true);
    expect(sb.runtimeState()).toEqual([]);
  });

  it.skipIf(!which('setpriv'))('rootless: an unprivileged user runs a service, runtime state under $XDG_RUNTIME_DIR/ctnr', () => {
    // network_mode none: slirp4netns needs /dev/net/tun, which is 0600 on this VM (RUNTIME-NOTES.md)
    const dir = path.join(sb.dir, 'rootless');
    mkdirSync(path.join(dir, 'xdg-run'), { recursive: true });
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  s:\n    image: x\n    network_mode: none\n    command: ["/bin/sh", "-c", "echo uid=$$(id -u)"]\n');
    // an unprivileged user runs a rootfs it owns (the runtime creates mount points such as /etc/hostname in it)
    const ownRootfs = buildBusyboxRootfs(path.join(dir, 'rootfs')).rootfs;
    execFileSync('chmod', ['-R', 'a+rwX', sb.dir]);
    execFileSync('chown', ['-R', '65534:65534', dir]);
    const env: NodeJS.ProcessEnv = { ...sb.env, HOME: dir, XDG_RUNTIME_DIR: path.join(dir, 'xdg-run') };
    delete env.CTNR_RUN_ROOT;
    const r = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, CLI, 'run', '-f', path.join(dir, 'compose.yaml'), 's', '--rootfs', ownRootfs, '--runtime', 'runc', '--rm'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    // rootless runc warns that it cannot read the OOM kill count (no cgroup); anything else is a failure
    expect(r.stderr.split('\n').filter((l) => l && !/oom kill count/.test(l))).toEqual([]);
    expect(r.stdout).toBe('uid=0\n'); // root inside the user namespace, mapped to 65534 outside
    expect(r.status).toBe(0);
    expect(readdirSync(path.join(dir, 'xdg-run/ctnr')).sort()).toEqual(['containers', 'projects', 'runc']);
    expect(readdirSync(path.join(dir, 'xdg-run/ctnr/runc'))).toEqual([]);
    expect(readdirSync(path.join(dir, 'xdg-run/ctnr/projects'))).toEqual([]); // the project lock, released
    expect(readdirSync(path.join(dir, '.local/share/ctnr/bundles'))).toEqual([]);
  });

  it('up starts services in depends_on order (detached), down stops them in reverse', () => {
    const loop = `["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]`;
    const file = compose(
      sb,
      'up',
      ['name: up', 'services:', '  web:', '    image: x', '    depends_on: [api]', `    command: ${loop}`, '  api:', '    image: x', '    depends_on:', '      db: {condition: service_started}', `    command: ${loop}`, '  db:', '    image: x', `    command: ${loop}`, '  other:', '    image: x', `    command: ${loop}`].join('\n') + '\n',
    );
    const up = ctnr(['up', '-f', file, 'web', '--rootfs', rootfs, '--data-dir', sb.dataDir, '--runtime', 'runc'], sb);
    expect(up.stderr).not.toMatch(/error/);
    expect(up.stdout).toBe('up-db started\nup-api started\nup-web started\n');
    const ps = JSON.parse(ctnr(['ps', '--json'], sb).stdout) as Array<{ id: string; status: string }>;
    expect(ps.map((p) => `${p.id}:${p.status}`)).toEqual(['up-api:running', 'up-db:running', 'up-web:running']);
    expect(sb.runtimeState().sort()).toEqual(['up-api', 'up-db', 'up-web']);
    const down = ctnr(['down', '-f', file], sb);
    expect(down.stdout).toBe('up-web removed\nup-api removed\nup-db removed\n');
    expect(sb.runtimeState()).toEqual([]);
    expect(sb.records()).toEqual([]);
  });
});

const crunOk = which('crun') !== undefined && e2eAvailable('crun');
describe.skipIf(!crunOk)('ctnr run (crun)', () => {
  let sb: Sandbox;
  let rootfs: string;
  withSandbox((s, r) => {
    sb = s;
    rootfs = r;
  });

  it('runs a service under crun (with the cgroup workaround where this host needs it) and forwards the exit status', () => {
    const file = compose(sb, 'crun', 'services:\n  s:\n    image: x\n    user: app\n    command: ["/bin/sh", "-c", "echo uid=$$(id -u); exit 5"]\n');
    const r = ctnr(['run', '-f', file, 's', '--rootfs', rootfs, '--data-dir', sb.dataDir, '--runtime', 'crun'], sb, { crunWorkaround: crunNeedsWorkaround() });
    expect(r.stdout).toBe('uid=1000\n');
    expect(r.status).toBe(5);
    expect(sb.runtimeState('crun')).toEqual([]);
  });

  it('without --runtime, prefers runc on a host where crun cannot run, with a note', () => {
    const file = compose(sb, 'default', 'services:\n  s:\n    image: x\n    command: ["true"]\n');
    const r = ctnr(['run', '-f', file, 's', '--rootfs', rootfs, '--data-dir', sb.dataDir], sb);
    expect(r.status).toBe(0);
    if (crunNeedsWorkaround()) expect(r.stderr).toMatch(/crun cannot run containers on this host .*using runc/);
    else expect(r.stderr).not.toMatch(/using runc/);
  });
});

