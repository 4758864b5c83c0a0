import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `pre_start` under runc: each hook runs to completion in a one-off container made from the service (its named
 * volume, its environment with the hook's over it) before `up` starts the service, which sees what the hook
 * wrote; a failing hook stops `up` with the service and the hook's index, located, and the service is not
 * started; no hook container is left (runtime state, ctnr ps, bundles). network_mode none.
 */
describe.skipIf(!cniE2eAvailable())('compose keys: pre_start (runc)', () => {
  const project = `ckp${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  const id = (s: string) => `${project}-${s}`;
  const idle = (before: string) => JSON.stringify(['sh', '-c', `${before}; trap 'exit 0' TERM; while :; do sleep 0.2; done`]);

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project(
      'pre-start',
      [
        `name: ${project}`,
        'services:',
        '  app:',
        '    image: busybox',
        `    command: ${idle('cat /data/ready > /dev/shm/seen 2>&1')}`,
        '    network_mode: none',
        '    user: "1000"',
        '    volumes: ["data:/data"]',
        '    environment: [GREETING=from-service, KEEP=kept]',
        '    pre_start:',
        '      - command: ["sh", "-c", "echo $$GREETING $$KEEP $$(id -u) $$(pwd) > /data/ready; echo hook-ran"]',
        '        environment: [GREETING=from-hook]',
        '        working_dir: /tmp',
        '      - command: ["sh", "-c", "chmod 644 /data/ready"]',
        '  bad:',
        '    image: busybox',
        `    command: ${IDLE}`,
        '    network_mode: none',
        '    pre_start:',
        '      - command: "true"',
        '      - command: ["sh", "-c", "echo starting; echo boom >&2; exit 3"]',
        'volumes:',
        '  data: {}',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down', '--no-hooks');
    sb.cleanup([], project);
  });

  const leftovers = () => {
    const bundles = path.join(sb.dataDir, 'bundles');
    return {
      runtime: sb.runtimeState().filter((c) => c.includes('pre-start')),
      ps: sb.ctnr(dir, 'ps').stdout.split('\n').filter((l) => l.includes('pre-start')),
      bundles: existsSync(bundles) ? readdirSync(bundles).filter((b) => b.includes('pre-start')) : [],
    };
  };

  it('up runs the hooks before the service, in containers of their own; the service sees what they wrote', () => {
    const up = sb.ctnr(dir, 'up', 'app', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`${id('app')} started\n`);
    expect(up.stderr).toContain(`${id('app')}-pre-start-0: hook-ran`);
    // The hook's environment over the service's; the image's user (not the service's), the hook's working_dir.
    expect(sb.exec(id('app'), 'cat', '/dev/shm/seen').stdout).toBe('from-hook kept 0 /tmp\n');
    expect(leftovers()).toEqual({ runtime: [], ps: [], bundles: [] });
  });

  it('up again with the service running does not run them (compose: only when no container of it runs)', () => {
    const up = sb.ctnr(dir, 'up', 'app', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`${id('app')} already running\n`);
    expect(up.stderr).not.toContain('hook-ran');
  });

  it('a failing hook stops up with the service, the hook index and its output, located; the service is not started', () => {
    const up = sb.ctnr(dir, 'up', 'bad', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status).toBe(1);
    expect(up.stdout).toBe('');
    expect(up.stderr).toMatch(new RegExp(`compose\\.yaml:\\d+:\\d+ services\\.bad\\.pre_start\\[1\\]: pre_start hook of ${id('bad')} \\(${id('bad')}-pre-start-1\\) exited with status 3: boom`));
    expect(sb.runtimeState()).not.toContain(id('bad'));
    expect(sb.ctnr(dir, 'ps').stdout).not.toContain(id('bad'));
    expect(leftovers()).toEqual({ runtime: [], ps: [], bundles: [] });
  });

  it('down leaves nothing', () => {
    const down = sb.ctnr(dir, 'down');
    expect(down.status, down.stderr).toBe(0);
    expect(sb.runtimeState()).toEqual([]);
  });
});
