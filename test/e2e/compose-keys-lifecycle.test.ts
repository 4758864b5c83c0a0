import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `post_start` and `pre_stop` under runc: commands run in the container with `runc exec` (a process.json made from
 * the container's process and the hook's user, privileged, working_dir and environment) once it started (`up`,
 * `run -d`, and beside a foreground `run`) and before `down` stops it; a failing hook is reported with the service
 * and its index, located; a failing pre_stop keeps its container running, as compose does. network_mode none.
 */
describe.skipIf(!cniE2eAvailable())('compose keys: post_start and pre_stop (runc)', () => {
  const project = `ckh${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  const id = (s: string) => `${project}-${s}`;
  const svc = (name: string, extra: string[], command = IDLE) => [`  ${name}:`, '    image: busybox', `    command: ${command}`, '    network_mode: none', ...extra.map((l) => `    ${l}`)];

  beforeAll(() => {
    sb = keysSandbox();
    const waitForHook = JSON.stringify(['sh', '-c', 'for i in $$(seq 1 100); do if [ -f /dev/shm/hooked ]; then cat /dev/shm/hooked; exit 0; fi; sleep 0.05; done; echo no-hook; exit 1']);
    dir = sb.project(
      'hooks',
      [
        `name: ${project}`,
        'services:',
        ...svc('web', [
          'volumes: ["./out:/out"]',
          'environment: [GREETING=from-service, KEEP=kept]',
          'cap_drop: [ALL]',
          'post_start:',
          '  - command: ["sh", "-c", "id -u > /dev/shm/user; echo $$GREETING $$KEEP > /dev/shm/env; pwd > /dev/shm/cwd"]',
          '    user: "1000"',
          '    working_dir: /tmp',
          '    environment: [GREETING=from-hook]',
          '  - command: ["sh", "-c", "grep CapEff /proc/self/status > /dev/shm/caps"]',
          '    privileged: true',
          'pre_stop:',
          '  - command: ["sh", "-c", "echo pre-stop-ran $$(cat /dev/shm/env) > /out/pre_stop"]',
        ]),
        ...svc('failing', ['post_start:', '  - command: "true"', '  - command: ["sh", "-c", "echo boom >&2; exit 3"]']),
        ...svc('stubborn', ['pre_stop:', '  - command: ["sh", "-c", "echo not-now; exit 4"]']),
        ...svc('fg', ['post_start:', '  - command: ["sh", "-c", "echo hooked > /dev/shm/hooked"]'], waitForHook),
        '',
      ].join('\n'),
    );
    mkdirSync(path.join(dir, 'out'));
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down', '--no-hooks');
    sb.cleanup([], project);
  });

  it('up runs post_start in the started container: the hook\'s user, working_dir and environment; privileged gets every capability', () => {
    const up = sb.ctnr(dir, 'up', 'web', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`${id('web')} started\n`);
    const cat = (f: string) => sb.exec(id('web'), 'cat', `/dev/shm/${f}`).stdout.trim();
    expect(cat('user')).toBe('1000');
    expect(cat('env')).toBe('from-hook kept');
    expect(cat('cwd')).toBe('/tmp');
    // The container itself has no capability (cap_drop: ALL); the privileged hook has the host's whole set.
    expect(sb.exec(id('web'), 'grep', 'CapEff', '/proc/1/status').stdout).toMatch(/CapEff:\s+0{16}/);
    const hostCaps = /CapBnd:\s+(\w+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    expect(cat('caps')).toBe(`CapEff:\t${hostCaps}`);
  });

  it('down runs pre_stop before stopping it', () => {
    const down = sb.ctnr(dir, 'down', 'web');
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toBe(`${id('web')} removed\n`);
    expect(readFileSync(path.join(dir, 'out/pre_stop'), 'utf8')).toBe('pre-stop-ran from-hook kept\n');
    expect(sb.runtimeState()).not.toContain(id('web'));
  });

  it('a failing post_start fails up with the service, the hook index and its output, located; the container keeps running', () => {
    const up = sb.ctnr(dir, 'up', 'failing', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status).toBe(1);
    expect(up.stdout).toBe(`${id('failing')} started\n`);
    expect(up.stderr).toMatch(new RegExp(`compose\\.yaml:\\d+:\\d+ services\\.failing\\.post_start\\[1\\]: post_start hook of ${id('failing')} exited with status 3: boom`));
    expect(up.stderr).toContain(`${id('failing')} keeps running (ctnr down stops it)`);
    expect(sb.runtimeState()).toContain(id('failing'));
  });

  it('a failing pre_stop keeps its container running and fails down, naming it; down --no-hooks stops it', () => {
    expect(sb.ctnr(dir, 'up', 'stubborn', '--rootfs', sb.rootfs, '--runtime', 'runc').status).toBe(0);
    const down = sb.ctnr(dir, 'down', 'stubborn');
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`services\\.stubborn\\.pre_stop\\[0\\]: pre_stop hook of ${id('stubborn')} exited with status 4: not-now \\(${id('stubborn')} keeps running; ctnr down --no-hooks stops it without its hooks\\)`));
    expect(down.stderr).toMatch(/compose\.yaml:\d+:\d+ services\.stubborn\.pre_stop\[0\]/);
    expect(sb.runtimeState()).toContain(id('stubborn'));
    const forced = sb.ctnr(dir, 'down', '--no-hooks', 'stubborn');
    expect(forced.status, forced.stderr).toBe(0);
    expect(sb.runtimeState()).not.toContain(id('stubborn'));
  });

  it('run (foreground) runs post_start beside the container, which sees what the hook did', () => {
    const r = sb.ctnr(dir, 'run', '--rm', 'fg', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.stdout).toBe('hooked\n');
    expect(r.status, r.stderr).toBe(0);
  });

  it('run -d runs post_start before it returns', () => {
    const r = sb.ctnr(dir, 'run', '-d', '--name', id('web-d'), 'web', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status, r.stderr).toBe(0);
    expect(sb.exec(id('web-d'), 'cat', '/dev/shm/env').stdout).toBe('from-hook kept\n');
    const down = sb.ctnr(dir, 'down');
    expect(down.status, down.stderr).toBe(0);
    expect(sb.runtimeState()).toEqual([]);
    expect(existsSync(path.join(dir, 'out/pre_stop'))).toBe(true);
  });
});
