import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `ctnr exec` under runc: a command in a running container of a service, as the container's own process (its
 * user, environment, working directory, capabilities) with `-e`, `-w`, `-u` over them; the command's stdio and
 * exit status; options after the service are the command's.
 */
describe.skipIf(!cniE2eAvailable())('ctnr exec (runc)', () => {
  const project = `cex${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project(
      'exec',
      [
        `name: ${project}`,
        'services:',
        '  app:',
        '    image: busybox',
        `    command: ${IDLE}`,
        '    network_mode: none',
        '    user: "1000:1000"',
        '    working_dir: /tmp',
        '    environment: [GREETING=hello, KEEP=kept]',
        '    cap_drop: [ALL]',
        '    cap_add: [CHOWN]',
        '  stopped:',
        '    image: busybox',
        `    command: ${IDLE}`,
        '    network_mode: none',
        '  quick:',
        '    image: busybox',
        '    command: ["true"]',
        '    network_mode: none',
        '',
      ].join('\n'),
    );
    const up = sb.ctnr(dir, 'up', 'app', 'quick', '--rootfs', sb.rootfs, '--runtime', 'runc');
    if (up.status !== 0) throw new Error(up.stderr);
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down');
    sb.cleanup([], project);
  });

  it('runs as the container\'s process: its user, working directory, environment and capabilities', () => {
    const r = sb.ctnr(dir, 'exec', 'app', 'sh', '-c', 'echo $(id -u):$(id -g) $(pwd) $GREETING $KEEP; grep CapBnd /proc/self/status; grep CapBnd /proc/1/status');
    expect(r.status, r.stderr).toBe(0);
    const [first, own, init] = r.stdout.trim().split('\n');
    expect(first).toBe('1000:1000 /tmp hello kept');
    // No more than the container's init has: exec does not widen what the container may do.
    expect(own).toBe(init);
    expect(own).toBe('CapBnd:\t0000000000000001');
  });

  it('-e over the environment (KEY alone: its value here), -w, -u UID:GID; options after the service are the command\'s', () => {
    sb.env.FROM_HERE = 'here';
    const r = sb.ctnr(dir, 'exec', '-e', 'GREETING=bye', '-e', 'FROM_HERE', '-e', 'UNSET_HERE', '-w', '/', '-u', '1234:5678', 'app', 'sh', '-c', 'echo $(id -u):$(id -g) $(pwd) $GREETING $KEEP $FROM_HERE ${UNSET_HERE-unset}');
    delete sb.env.FROM_HERE;
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1234:5678 / bye kept here unset\n');
    const ls = sb.ctnr(dir, 'exec', 'app', 'ls', '-ld', '/bin');
    expect(ls.status, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^d.* \/bin\n$/);
  });

  // The container's /etc/passwd: root 0:0, app 1000:1000 (also in audio, 29), nobody 65534:65534; /etc/group has video 44.
  it.each([
    ['app', '1000 1000 1000 29'],
    ['app:video', '1000 44 44 29'],
    ['nobody', '65534 65534 65534'],
    ['1000', '1000 1000 1000 29'],
    ['4321', '4321 0 0'],
    ['root:44', '0 44 44'],
  ])('-u %s: ids from the container\'s own passwd and group files, as docker exec -u', (user, ids) => {
    const r = sb.ctnr(dir, 'exec', '-u', user, 'app', 'sh', '-c', 'echo $(id -u) $(id -g) $(id -G)');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${ids}\n`);
  });

  it('the exit status is the command\'s', () => {
    expect(sb.ctnr(dir, 'exec', 'app', 'sh', '-c', 'exit 7').status).toBe(7);
  });

  it('the project\'s policy judges the exec as it judged the container (restricted: -u 0 is refused)', () => {
    const strict = sb.project(
      'exec-policy',
      [`name: ${project}p`, 'services:', '  app:', '    image: busybox', `    command: ${IDLE}`, '    network_mode: none', '    user: "1000:1000"',
        '    cap_drop: [ALL]', '    security_opt: ["no-new-privileges:true"]',
        '  hooked:', '    image: busybox', `    command: ${IDLE}`, '    network_mode: none', '    user: "1000:1000"',
        '    cap_drop: [ALL]', '    security_opt: ["no-new-privileges:true"]',
        '    post_start:', '      - command: ["id", "-u"]', '        privileged: true',
        '  stopper:', '    image: busybox', `    command: ${IDLE}`, '    network_mode: none', '    user: "1000:1000"',
        '    cap_drop: [ALL]', '    security_opt: ["no-new-privileges:true"]',
        '    pre_stop:', '      - command: ["true"]', '        user: "0"', ''].join('\n'),
    );
    writeFileSync(path.join(strict, 'ctnr.config.json'), JSON.stringify({ dataDir: sb.dataDir, presets: ['default', 'restricted'] }));
    const up = sb.ctnr(strict, 'up', 'app', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    try {
      // A post_start hook is an exec too: privileged, it would run with every capability in a restricted container.
      const hooked = sb.ctnr(strict, 'up', 'hooked', '--rootfs', sb.rootfs, '--runtime', 'runc');
      expect(hooked.status).toBe(1);
      expect(hooked.stderr).toMatch(new RegExp(`compose\\.yaml:\\d+:\\d+ services\\.hooked\\.post_start\\[0\\]: post_start hook 0 of ${project}p-hooked refused: policy baseline: capabilities: capabilities beyond the baseline set are not allowed`));
      expect(hooked.stderr).not.toContain('hooked post_start[0]: 0');
      // Judged before the container starts: nothing of it runs, and the bundle made for it is gone.
      expect(hooked.stderr).toContain(`${project}p-hooked was not started`);
      expect(sb.runtimeState()).not.toContain(`${project}p-hooked`);
      expect(existsSync(path.join(sb.dataDir, 'bundles', `${project}p-hooked`))).toBe(false);
      // A pre_stop hook too: refused only at down, it would have kept the container running.
      const stopper = sb.ctnr(strict, 'up', 'stopper', '--rootfs', sb.rootfs, '--runtime', 'runc');
      expect(stopper.status).toBe(1);
      expect(stopper.stderr).toMatch(new RegExp(`compose\\.yaml:\\d+:\\d+ services\\.stopper\\.pre_stop\\[0\\]: pre_stop hook 0 of ${project}p-stopper refused: policy restricted: runAsNonRoot`));
      expect(sb.runtimeState()).not.toContain(`${project}p-stopper`);
      const own = sb.ctnr(strict, 'exec', 'app', 'id', '-u');
      expect(own.status, own.stderr).toBe(0);
      expect(own.stdout).toBe('1000\n');
      const root = sb.ctnr(strict, 'exec', '-u', '0', 'app', 'id', '-u');
      expect(root.status).toBe(1);
      expect(root.stdout).toBe('');
      expect(root.stderr).toContain('exec refused: policy restricted: runAsNonRoot: containers must not run as root');
      // The project without that policy lets the same exec run.
      expect(sb.ctnr(dir, 'exec', '-u', '0', 'app', 'id', '-u').stdout).toBe('0\n');
    } finally {
      sb.ctnr(strict, 'down');
    }
  });

  it.each([
    [['exec', 'stopped', 'true'], 1, 'service "stopped" has no container started by ctnr up or run -d (replicas: none)'],
    [['exec', 'quick', 'true'], 1, `${project}-quick is stopped, not running (ctnr up starts it)`],
    [['exec', 'nosuch', 'true'], 1, 'no service "nosuch"'],
    [['exec', '-u', 'nosuch', 'app', 'true'], 1, `-u: user "nosuch" not found in the container's /etc/passwd`],
    [['exec', '-u', 'app:nosuch', 'app', 'true'], 1, `-u: group "nosuch" not found in the container's /etc/group`],
    [['exec', '-u', 'a:b:c', 'app', 'true'], 2, '-u: "a:b:c" is not USER[:GROUP]'],
    [['exec', '--index', '2', 'app', 'true'], 1, 'has no container #2 started by ctnr up or run -d (replicas: 1)'],
    [['exec', '--index', 'x', 'app', 'true'], 2, '--index: "x" is not a replica number'],
  ])('%j: exit %d', (args, status, message) => {
    const r = sb.ctnr(dir, ...args);
    expect(r.status).toBe(status);
    expect(r.stderr).toContain(message);
  });
});
