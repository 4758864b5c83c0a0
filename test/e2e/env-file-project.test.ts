import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * A project whose name and service settings come from an `--env-file` (`name: ${APP_PROJECT}`): `logs`, `exec` and
 * `down` read the file with the same variables `up` had, so they find the containers `up` started under runc.
 * Before, `down` accepted `--env-file` and ignored it, and `exec`/`logs` had no way to give it.
 */
describe.skipIf(!cniE2eAvailable())('commands after up, with the env file up had (runc)', () => {
  const project = `cenv${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  const id = `${project}-app`;

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project(
      'envfile',
      [
        'name: ${APP_PROJECT:?set APP_PROJECT (ctnr up --env-file vars.env)}',
        'services:',
        '  app:',
        '    image: busybox',
        `    command: ${JSON.stringify(['sh', '-c', `echo started as $$ROLE; ${JSON.parse(IDLE)[2]}`])}`,
        '    network_mode: none',
        '    environment: ["ROLE=${APP_ROLE}"]',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'vars.env'), `APP_PROJECT=${project}\nAPP_ROLE=worker\n`);
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down', '--env-file', 'vars.env');
    sb.cleanup([], project);
  });

  it('without the env file each command stops at the variable, located, and touches nothing', () => {
    for (const args of [['down'], ['logs'], ['exec', 'app', 'true']]) {
      const r = sb.ctnr(dir, ...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/compose\.yaml:1:\d+/);
      expect(r.stderr).toContain('set APP_PROJECT (ctnr up --env-file vars.env)');
    }
  });

  it('up, logs, exec and down all take the project from the env file', async () => {
    const up = sb.ctnr(dir, 'up', '--env-file', 'vars.env', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(sb.runtimeState()).toContain(id);
    await sb.waitFor(`${sb.dataDir}/bundles/${id}/ctnr.log`, 'started as worker');

    const logs = sb.ctnr(dir, 'logs', '--env-file', 'vars.env', '--no-log-prefix');
    expect(logs.status, logs.stderr).toBe(0);
    expect(logs.stdout).toBe('started as worker\n');

    const exec = sb.ctnr(dir, 'exec', '--env-file', 'vars.env', 'app', 'sh', '-c', 'echo $ROLE in $(hostname)');
    expect(exec.status, exec.stderr).toBe(0);
    expect(exec.stdout).toBe('worker in app\n');

    const down = sb.ctnr(dir, 'down', '--env-file', 'vars.env', '-t', '1');
    expect(down.status, down.stderr).toBe(0);
    expect(sb.runtimeState()).not.toContain(id);
  });
});
