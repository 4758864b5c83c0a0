import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeName } from '../../src/network/default-conf.js';
import { cniE2eAvailable, keysSandbox, sh, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `restart:` and `deploy.restart_policy` under runc with the real CNI plugins: `ctnr up` leaves a restart monitor
 * beside each such container, which starts it again when it ends (per the policy, after docker's back-off), its
 * network set up again by the runtime's hooks; `ps` shows the restarts; `down` stops container and monitor, and
 * nothing starts again afterwards.
 */
describe.skipIf(!cniE2eAvailable())('compose keys: restart policies (runc, CNI)', () => {
  const project = `ckrs${process.pid}`;
  const network = `${project}_default`;
  let sb: KeysSandbox;
  let dir: string;
  const id = (service: string) => `${project}-${service}`;
  const log = (service: string) => path.join(sb.dataDir, 'bundles', id(service), 'ctnr.log');
  const ps = () => JSON.parse(sb.ctnr(dir, 'ps', '--json').stdout) as Array<{ id: string; status: string; restarts: number }>;
  const psOf = (service: string) => ps().find((p) => p.id === id(service));
  /** Monitor processes of this test's containers (their command line names the run root and the id). */
  const monitors = () =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        } catch {
          return [];
        }
      })
      // node …/monitor.cjs RUN_ROOT ID 3
      .map((argv) => argv.slice(argv.findIndex((a) => a.endsWith('monitor.cjs')) + 1))
      .filter((args) => args.length > 1 && args[0] === sb.runRoot)
      .map((args) => args[1]!);
  const lines = (text: string, word: string) => text.split('\n').filter((l) => l.startsWith(word)).length;
  const until = async (what: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    return what();
  };

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project(
      'restart',
      [
        `name: ${project}`,
        'services:',
        '  flaky:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["sh", "-c", "echo run; exit 3"]',
        '    restart: on-failure:2',
        '  steady:',
        '    image: busybox',
        '    command: ["sh", "-c", "echo up $$(ip -4 addr show eth0 | grep -c inet); sleep 0.3"]',
        '    restart: always',
        '  done:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["sh", "-c", "echo once"]',
        '    restart: on-failure',
        '  swarmish:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["sh", "-c", "echo try; exit 1"]',
        '    restart: always',
        '    deploy:',
        '      restart_policy: {condition: on-failure, max_attempts: 1}',
        '  broken:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["/no/such/program"]',
        '    restart: always',
        '  stubborn:',
        '    image: busybox',
        '    network_mode: none',
        `    command: ["sh", "-c", "trap '' TERM; echo waiting; while :; do sleep 0.2; done"]`,
        '    restart: always',
        '  wrong:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["true"]',
        '    restart: sometimes',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down');
    sb.cleanup([network], project);
  });

  it('on-failure:2 starts a failing container three times, then leaves it exited with its status', async () => {
    const up = sb.ctnr(dir, 'up', 'flaky', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`${id('flaky')} started\n`);
    // logs --follow follows across the restarts, and ends when the monitor lets the container end
    const followed = sb.ctnr(dir, 'logs', '--follow', '--no-log-prefix', 'flaky');
    expect(followed.status, followed.stderr).toBe(0);
    expect(followed.stdout).toBe('run\nrun\nrun\n');
    expect(await until(() => psOf('flaky')?.status === 'exited (3)')).toBe(true);
    expect(lines(readFileSync(log('flaky'), 'utf8'), 'run')).toBe(3);
    expect(psOf('flaky')).toMatchObject({ status: 'exited (3)', restarts: 2 });
    expect(monitors()).not.toContain(id('flaky'));
  });

  it('always restarts a container that ends well too, its network set up again each time; ps counts the restarts', async () => {
    const up = sb.ctnr(dir, 'up', 'steady', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(monitors()).toContain(id('steady'));
    expect(await until(() => lines(readFileSync(log('steady'), 'utf8'), 'up') >= 3)).toBe(true);
    // every run had its eth0 with an address on the project network
    expect(readFileSync(log('steady'), 'utf8').split('\n').filter((l) => l.startsWith('up'))).toEqual(expect.arrayContaining(['up 1']));
    expect(readFileSync(log('steady'), 'utf8')).not.toMatch(/^up 0$/m);
    const row = psOf('steady')!;
    expect(['running', 'restarting', 'creating', 'created']).toContain(row.status);
    expect(row.restarts).toBeGreaterThanOrEqual(2);
    const table = sb.ctnr(dir, 'ps').stdout;
    expect(table).toMatch(new RegExp(`${id('steady')} .* restarted \\d+×`));
    // a second up leaves it to its monitor
    const again = sb.ctnr(dir, 'up', 'steady', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^${id('steady')} already (running|restarting|creating|created)\\n$`));
  });

  it('on-failure that ends with 0 is not restarted', async () => {
    expect(sb.ctnr(dir, 'up', 'done', '--rootfs', sb.rootfs, '--runtime', 'runc').status).toBe(0);
    expect(await until(() => psOf('done')?.status === 'exited (0)')).toBe(true);
    expect(psOf('done')).toMatchObject({ restarts: 0 });
    expect(lines(readFileSync(log('done'), 'utf8'), 'once')).toBe(1);
  });

  it('deploy.restart_policy wins over restart: (on-failure, one attempt)', async () => {
    expect(sb.ctnr(dir, 'up', 'swarmish', '--rootfs', sb.rootfs, '--runtime', 'runc').status).toBe(0);
    expect(await until(() => psOf('swarmish')?.status === 'exited (1)')).toBe(true);
    expect(psOf('swarmish')).toMatchObject({ restarts: 1 });
    expect(lines(readFileSync(log('swarmish'), 'utf8'), 'try')).toBe(2);
  });

  it('a container that cannot start is an error of up, as without a policy: no monitor, nothing left', () => {
    const r = sb.ctnr(dir, 'up', 'broken', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`error: runc could not start ${id('broken')}: .*no/such/program`));
    expect(monitors()).not.toContain(id('broken'));
    expect(sb.runtimeState()).not.toContain(id('broken'));
    expect(psOf('broken')).toBeUndefined();
  });

  it('down -t 1 of a container that ignores SIGTERM: SIGKILL after a second, and no restart', async () => {
    expect(sb.ctnr(dir, 'up', 'stubborn', '--rootfs', sb.rootfs, '--runtime', 'runc').status).toBe(0);
    expect(await sb.waitFor(log('stubborn'), 'waiting')).toContain('waiting');
    const t0 = Date.now();
    const down = sb.ctnr(dir, 'down', 'stubborn', '-t', '1');
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toBe(`${id('stubborn')} removed\n`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(monitors()).not.toContain(id('stubborn'));
    await new Promise((r) => setTimeout(r, 500));
    expect(sb.runtimeState()).not.toContain(id('stubborn'));
  });

  it('a restart value that is none is a located error, and nothing starts', () => {
    const r = sb.ctnr(dir, 'up', 'wrong', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/compose\.yaml:\d+:\d+ services\.wrong\.restart: "sometimes" is not a restart policy \(no, always, unless-stopped or on-failure\[:MAX\]\)/);
    expect(sb.runtimeState()).not.toContain(id('wrong'));
  });

  it('down stops the restarting container and its monitor: nothing starts again, the network is gone', async () => {
    const down = sb.ctnr(dir, 'down');
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain(`${id('steady')} removed\n`);
    expect(monitors()).toEqual([]);
    expect(sb.runtimeState()).toEqual([]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sb.runtimeState()).toEqual([]);
    expect(ps()).toEqual([]);
    expect(sh('ip', ['link', 'show', 'dev', bridgeName(network)]).status).not.toBe(0);
  });
});
