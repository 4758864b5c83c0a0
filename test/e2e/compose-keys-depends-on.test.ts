import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `depends_on` conditions under runc, as `ctnr up` honours them: `service_healthy` waits for the dependency's
 * healthcheck (probed with the runtime's exec), `service_completed_successfully` runs the dependency to its end
 * and wants status 0, `required: false` lets a missing dependency go with a note. The dependent sees, when it
 * starts, what its dependencies did before (files in a shared named volume). network_mode none.
 */
describe.skipIf(!cniE2eAvailable())('compose keys: depends_on conditions (runc)', () => {
  const project = `ckd${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  const id = (s: string) => `${project}-${s}`;
  const keepRunning = "trap 'exit 0' TERM; while :; do sleep 0.2; done";
  const service = (name: string, command: string, extra: string[] = []) => [
    `  ${name}:`,
    '    image: busybox',
    `    command: ${command}`,
    '    network_mode: none',
    '    volumes: ["shared:/shared"]',
    ...extra.map((l) => `    ${l}`),
  ];

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project(
      'depends-on',
      [
        `name: ${project}`,
        'services:',
        // ready a second after it starts: a dependent started at once would not see /shared/ready
        ...service('db', JSON.stringify(['sh', '-c', `sleep 1; touch /shared/ready; ${keepRunning}`]), [
          'healthcheck:',
          '  test: ["CMD-SHELL", "test -f /shared/ready"]',
          '  interval: 200ms',
          '  retries: 50',
        ]),
        ...service('app', JSON.stringify(['sh', '-c', `if test -f /shared/ready && test -f /shared/migrated; then echo ok; else echo early; fi > /shared/app; ${keepRunning}`]), [
          'depends_on:',
          '  db: {condition: service_healthy}',
          '  migrate: {condition: service_completed_successfully}',
          '  ghost: {condition: service_started, required: false}',
        ]),
        ...service('migrate', JSON.stringify(['sh', '-c', 'sleep 0.5; echo migrated > /shared/migrated; echo migration-done'])),
        ...service('failing', JSON.stringify(['sh', '-c', 'echo boom >&2; exit 3'])),
        ...service('after-failing', IDLE, ['depends_on: {failing: {condition: service_completed_successfully}}']),
        ...service('despite-failing', IDLE, ['depends_on: {failing: {condition: service_completed_successfully, required: false}, sick: {condition: service_healthy, required: false}}']),
        ...service('sick', IDLE, ['healthcheck: {test: ["CMD", "false"], interval: 100ms, retries: 2}']),
        ...service('after-sick', IDLE, ['depends_on: {sick: {condition: service_healthy}}']),
        ...service('slow', IDLE, ['healthcheck: {test: ["CMD", "sleep", "7"], interval: 100ms, timeout: 300ms, retries: 1}']),
        ...service('after-slow', IDLE, ['depends_on: {slow: {condition: service_healthy}}']),
        ...service('never-ready', IDLE, ['healthcheck: {test: ["CMD", "false"], interval: 200ms, retries: 1000}']),
        ...service('reader', JSON.stringify(['sh', '-c', 'test -f /shared/ready && cat /shared/migrated']), [
          'depends_on:',
          '  db: {condition: service_healthy}',
          '  migrate: {condition: service_completed_successfully}',
        ]),
        ...service('plain', IDLE),
        ...service('after-plain', IDLE, ['depends_on:', '  plain:', '    condition: service_healthy']),
        'volumes:',
        '  shared: {}',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down', '--no-hooks');
    sb.cleanup([], project);
  });

  const up = (name: string) => sb.ctnr(dir, 'up', name, '--rootfs', sb.rootfs, '--runtime', 'runc');

  it('up waits for db to be healthy and migrate to complete before it starts app; a missing optional dependency is a note', () => {
    const r = up('app');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe([`${id('db')} started`, `${id('db')} healthy`, `${id('migrate')} completed`, `${id('app')} started`, ''].join('\n'));
    expect(r.stderr).toContain('app depends on "ghost", which is not a service of this file; it is not required (required: false)');
    // app saw both: db had become ready and migrate had run when it started
    expect(sb.exec(id('app'), 'cat', '/shared/app').stdout).toBe('ok\n');
    // migrate ran to its end: the runtime no longer has it, ctnr ps shows how it ended; db and app run
    expect(sb.runtimeState().sort()).toEqual([id('app'), id('db')].sort());
    const ps = sb.ctnr(dir, 'ps', '--json');
    expect(JSON.parse(ps.stdout).map((c: { id: string; status: string }) => [c.id, c.status]).sort()).toEqual([
      [id('app'), 'running'],
      [id('db'), 'running'],
      [id('migrate'), 'exited (0)'],
    ]);
  });

  it('up again: db is already running and healthy, migrate runs again, app is already running', () => {
    const r = up('app');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe([`${id('db')} already running`, `${id('db')} healthy`, `${id('migrate')} completed`, `${id('app')} already running`, ''].join('\n'));
  });

  it('a dependency that exits with a status other than 0: exit 1 with its status and output, the dependent not started', () => {
    const r = up('after-failing');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${id('failing')} ended with status 3, and after-failing wait for it to complete successfully (service_completed_successfully)`);
    expect(r.stderr).toContain('boom');
    expect(r.stdout).not.toContain('after-failing');
    expect(sb.runtimeState()).not.toContain(id('after-failing'));
    expect(sb.ctnr(dir, 'ps').stdout).toMatch(new RegExp(`${id('failing')} .* exited \\(3\\)`));
  });

  it('required: false: a dependency that fails its condition is a note, and the dependent starts', () => {
    const r = up('despite-failing');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${id('failing')} ended with status 3, and despite-failing wait for it to complete successfully (service_completed_successfully); they start anyway (required: false)`);
    expect(r.stderr).toMatch(/is unhealthy: .*; despite-failing start anyway \(required: false\)/);
    expect(r.stdout).toContain(`${id('despite-failing')} started\n`);
    sb.ctnr(dir, 'down', 'despite-failing', 'sick', 'failing');
  });

  it('a dependency whose healthcheck keeps failing: exit 1 saying it is unhealthy, the dependent not started', () => {
    const r = up('after-sick');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${id('sick')} started\n`);
    expect(r.stderr).toContain(`${id('sick')} is unhealthy: its healthcheck failed 2 times in a row (last: exit status 1)`);
    expect(r.stderr).toContain('after-sick not started (service_healthy)');
    expect(sb.runtimeState()).not.toContain(id('after-sick'));
  });

  it('a probe past its timeout fails, and is killed in the container (not left running)', () => {
    const t0 = Date.now();
    const r = up('after-slow');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${id('slow')} is unhealthy: its healthcheck failed 1 times in a row (last: did not finish within 0.3s)`);
    expect(Date.now() - t0).toBeLessThan(6000);
    const ps = sb.exec(id('slow'), 'ps', '-o', 'args');
    expect(ps.stdout).toContain('while :');
    expect(ps.stdout).not.toContain('sleep 7');
  });

  it('up --wait: every container of this up with a healthcheck is waited for; those without one only started', () => {
    sb.ctnr(dir, 'down', 'db');
    const r = sb.ctnr(dir, 'up', 'db', 'plain', '--wait', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe([`${id('db')} started`, `${id('plain')} started`, `${id('db')} healthy`, ''].join('\n'));
    expect(sb.exec(id('db'), 'test', '-f', '/shared/ready').status).toBe(0);
  });

  it('up --wait --wait-timeout: a container not healthy in time is exit 1; a bad timeout is a usage error', () => {
    const t0 = Date.now();
    const r = sb.ctnr(dir, 'up', 'never-ready', '--wait', '--wait-timeout', '1', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${id('never-ready')} started\n`);
    expect(r.stderr).toMatch(new RegExp(`${id('never-ready')} was not healthy within the wait timeout`));
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(sb.ctnr(dir, 'up', 'plain', '--wait', '--wait-timeout', '0').status).toBe(2);
    expect(sb.ctnr(dir, 'up', 'plain', '--wait-timeout', '5').stderr).toContain('--wait-timeout needs --wait');
  });

  it('run starts what the service depends on first (lines on stderr), waits as up does; its stdout is the container\'s', () => {
    sb.ctnr(dir, 'down', 'db', 'migrate');
    sb.ctnr(dir, 'up', 'plain', '--rootfs', sb.rootfs, '--runtime', 'runc');
    sb.exec(id('plain'), 'rm', '-f', '/shared/ready', '/shared/migrated');
    const r = sb.ctnr(dir, 'run', '--rm', 'reader', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('migrated\n');
    expect(r.stderr).toContain(`${id('db')} started\n${id('db')} healthy\n${id('migrate')} completed\n`);
    expect(sb.runtimeState()).toContain(id('db'));
  });

  it('up --no-deps starts the named service alone, without waiting on what it does not start', () => {
    sb.ctnr(dir, 'down', 'db', 'migrate', 'app');
    const r = sb.ctnr(dir, 'up', '--no-deps', 'app', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${id('app')} started\n`);
    expect(sb.runtimeState()).not.toContain(id('db'));
    sb.ctnr(dir, 'down', 'app');
  });

  it('run --no-deps starts the service alone', () => {
    sb.ctnr(dir, 'down', 'db', 'migrate');
    const r = sb.ctnr(dir, 'run', '--rm', '--no-deps', 'reader', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.stderr).not.toContain('started');
    expect(sb.runtimeState()).not.toContain(id('db'));
  });

  it('service_healthy on a service without a healthcheck: exit 1 at the depends_on entry', () => {
    const r = up('after-plain');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/compose\.yaml:\d+:\d+ services\.after-plain\.depends_on\.plain: after-plain wait for plain to be healthy \(service_healthy\), but plain has no healthcheck/);
    expect(sb.runtimeState()).not.toContain(id('after-plain'));
  });
});
