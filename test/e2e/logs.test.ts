import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `ctnr logs` under runc: the output detached containers wrote to their bundle's ctnr.log, each line after the
 * container id; `--tail`, `--no-log-prefix`; `--follow` prints what comes later and ends when the container stops.
 * And `down -t`, the other compose option for containers that are slow to go.
 */
describe.skipIf(!cniE2eAvailable())('ctnr logs (runc)', () => {
  const project = `clg${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  const id = (s: string) => `${project}-${s}`;

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project(
      'logs',
      [
        `name: ${project}`,
        'services:',
        '  web:',
        '    image: busybox',
        `    command: ${JSON.stringify(['sh', '-c', `for i in 1 2 3; do echo web line $$i; done; echo to stderr >&2; ${JSON.parse(IDLE)[2]}`])}`,
        '    network_mode: none',
        '  job:',
        '    image: busybox',
        `    command: ${JSON.stringify(['sh', '-c', 'echo job starts; sleep 1.5; echo job ends'])}`,
        '    network_mode: none',
        '  idle:',
        '    image: busybox',
        `    command: ${IDLE}`,
        '    network_mode: none',
        // pid 1 without a handler ignores SIGTERM: only SIGKILL, after the grace period, stops it
        '  deaf:',
        '    image: busybox',
        '    command: ["sleep", "300"]',
        '    network_mode: none',
        '    stop_grace_period: 60s',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down');
    sb.cleanup([], project);
  });

  it('with nothing started: a note, exit 0', () => {
    const r = sb.ctnr(dir, 'logs');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no detached container of project ${project}`);
  });

  it('prints each container\'s output (stdout and stderr) after its id; --tail; --no-log-prefix', async () => {
    expect(sb.ctnr(dir, 'up', 'web', '--rootfs', sb.rootfs, '--runtime', 'runc').status).toBe(0);
    const log = `${sb.dataDir}/bundles/${id('web')}/ctnr.log`;
    await sb.waitFor(log, 'to stderr');
    const all = sb.ctnr(dir, 'logs');
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout).toBe([1, 2, 3].map((i) => `${id('web')}  | web line ${i}\n`).join('') + `${id('web')}  | to stderr\n`);
    expect(sb.ctnr(dir, 'logs', 'web', '--tail', '2', '--no-log-prefix').stdout).toBe('web line 3\nto stderr\n');
    expect(sb.ctnr(dir, 'logs', 'web', '-n', '0').stdout).toBe('');
  });

  it('--follow prints lines written later and ends when the container stops', () => {
    expect(sb.ctnr(dir, 'up', 'job', '--rootfs', sb.rootfs, '--runtime', 'runc').status).toBe(0);
    const t0 = Date.now();
    const r = sb.ctnr(dir, 'logs', 'job', '-f');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${id('job')}  | job starts\n${id('job')}  | job ends\n`);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('down -t SECONDS: the grace period after the stop signal, over stop_grace_period', () => {
    expect(sb.ctnr(dir, 'up', 'deaf', '--rootfs', sb.rootfs, '--runtime', 'runc').status).toBe(0);
    expect(sb.ctnr(dir, 'down', '-t', 'x', 'deaf').status).toBe(2);
    const t0 = Date.now();
    const r = sb.ctnr(dir, 'down', '-t', '1', 'deaf');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${id('deaf')} did not stop within the grace period after SIGTERM: sending SIGKILL`);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(sb.runtimeState()).not.toContain(id('deaf'));
  });

  it('an unknown service is exit 1 naming the services; a bad --tail exit 2', () => {
    const r = sb.ctnr(dir, 'logs', 'nosuch');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no service "nosuch" in compose.yaml (services: web, job, idle, deaf)');
    expect(sb.ctnr(dir, 'logs', '--tail', 'x').status).toBe(2);
  });
});
