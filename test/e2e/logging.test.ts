import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * A service's `logging:` under runc: json-file's `max-size`/`max-file` rotate `ctnr.log` in the bundle (the
 * container's monitor writes it through a pipe, which the container can open again as /dev/stdout), `ctnr logs`
 * reads the rotated files too, also while following, and every run of a restart policy writes to it; `driver: none` keeps nothing; a driver ctnr has no sink for
 * is a warning; a bad size is a located error before anything starts.
 */
describe.skipIf(!cniE2eAvailable())('compose logging: (runc)', () => {
  const project = `clgr${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  const id = (s: string) => `${project}-${s}`;
  const bundle = (s: string) => path.join(sb.dataDir, 'bundles', id(s));
  const log = (s: string) => path.join(bundle(s), 'ctnr.log');
  /** The log's files oldest first, read whole. */
  const logFiles = (s: string) =>
    readdirSync(bundle(s))
      .filter((n) => /^ctnr\.log(\.\d+)?$/.test(n))
      .sort((a, b) => Number(b.split('.')[2] ?? 0) - Number(a.split('.')[2] ?? 0));
  const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);
  const up = (...services: string[]) => sb.ctnr(dir, 'up', ...services, '--rootfs', sb.rootfs, '--runtime', 'runc');
  const until = async (what: () => boolean, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    return what();
  };
  const monitorOf = (s: string) => readdirSync('/proc').some((p) => {
    try {
      return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(id(s));
    } catch {
      return false;
    }
  });

  beforeAll(() => {
    sb = keysSandbox();
    // 500 numbered lines (≈4.4 KB, more than three files of 1 KiB), one written through /dev/stdout opened again, then "done".
    const chatty = 'i=1; while [ $$i -le 500 ]; do echo line $$i; i=$$((i+1)); done; echo reopened > /dev/stdout; echo done';
    const slow = 'i=1; while [ $$i -le 30 ]; do echo line $$i; i=$$((i+1)); sleep 0.05; done';
    dir = sb.project(
      'logging',
      [
        `name: ${project}`,
        'services:',
        '  chatty:',
        '    image: busybox',
        '    network_mode: none',
        `    command: ${JSON.stringify(['sh', '-c', chatty])}`,
        '    logging:',
        '      driver: json-file',
        '      options: {max-size: 1k, max-file: "3", compress: "true"}',
        '  slow:',
        '    image: busybox',
        '    network_mode: none',
        `    command: ${JSON.stringify(['sh', '-c', slow])}`,
        '    logging:',
        '      options: {max-size: "40", max-file: 6}',
        '  flaky:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["sh", "-c", "echo run; exit 3"]',
        '    restart: on-failure:2',
        '    logging:',
        '      options: {max-size: 1k}',
        '  detached:',
        '    image: busybox',
        '    network_mode: none',
        `    command: ${JSON.stringify(['sh', '-c', 'i=1; while [ $$i -le 100 ]; do echo line $$i; i=$$((i+1)); done'])}`,
        '    logging:',
        '      options: {max-size: "200", max-file: 2}',
        '  setup:',
        '    image: busybox',
        '    network_mode: none',
        `    command: ${JSON.stringify(['sh', '-c', 'i=1; while [ $$i -le 100 ]; do echo line $$i; i=$$((i+1)); done'])}`,
        '    logging:',
        '      options: {max-size: "300", max-file: 2}',
        '  after-setup:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["true"]',
        '    depends_on:',
        '      setup: {condition: service_completed_successfully}',
        '  quiet:',
        '    image: busybox',
        '    network_mode: none',
        `    command: ${JSON.stringify(['sh', '-c', `echo not kept; ${JSON.parse(IDLE)[2]}`])}`,
        '    logging: {driver: none}',
        '  remote:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["sh", "-c", "echo to the file"]',
        '    logging:',
        '      driver: syslog',
        '      options: {syslog-address: "udp://192.0.2.1:514"}',
        '  bad:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["true"]',
        '    logging:',
        '      options:',
        '        max-size: 10x',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down');
    sb.cleanup([], project);
  });

  it('max-size/max-file: the log rotates on whole lines, three files are kept, and logs prints them in order', async () => {
    const r = up('chatty');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('chatty: logging option compress is not used by ctnr');
    expect(await until(() => existsSync(log('chatty')) && readFileSync(log('chatty'), 'utf8').endsWith('done\n') && !monitorOf('chatty'))).toBe(true);
    const files = logFiles('chatty');
    expect(files).toEqual(['ctnr.log.2', 'ctnr.log.1', 'ctnr.log']);
    for (const f of files) expect(statSync(path.join(bundle('chatty'), f)).size).toBeLessThanOrEqual(1024);
    const kept = files.map((f) => readFileSync(path.join(bundle('chatty'), f), 'utf8'));
    for (const text of kept) expect(text.endsWith('\n')).toBe(true);
    const lines = kept.join('').trimEnd().split('\n');
    // The newest lines, none missing or repeated, the oldest rotated away.
    const first = Number(lines[0]!.split(' ')[1]);
    expect(first).toBeGreaterThan(1);
    expect(lines).toEqual([...numbered(first, 500), 'reopened', 'done']);
    // No pipe left in the bundle.
    expect(readdirSync(bundle('chatty')).filter((n) => n.includes('fifo'))).toEqual([]);

    const all = sb.ctnr(dir, 'logs', 'chatty', '--no-log-prefix');
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout).toBe(kept.join(''));
    // --tail across the files: more lines than the newest file has.
    const newest = kept[2]!.trimEnd().split('\n').length;
    const tail = sb.ctnr(dir, 'logs', 'chatty', '--no-log-prefix', '--tail', String(newest + 3));
    expect(tail.stdout).toBe(lines.slice(-(newest + 3)).join('\n') + '\n');
    // The monitor recorded the exit status before it ended.
    const ps = JSON.parse(sb.ctnr(dir, 'ps', '--json').stdout) as Array<{ id: string; status: string }>;
    expect(ps.find((p) => p.id === id('chatty'))?.status).toBe('exited (0)');
  });

  it('up again after it ended: a new container and log (the old monitor had ended first)', async () => {
    const r = up('chatty');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${id('chatty')} started`);
    expect(await until(() => existsSync(log('chatty')) && readFileSync(log('chatty'), 'utf8').endsWith('done\n') && !monitorOf('chatty'))).toBe(true);
    expect(logFiles('chatty')).toEqual(['ctnr.log.2', 'ctnr.log.1', 'ctnr.log']);
  });

  it('logs --follow goes on across rotations and prints every line once', async () => {
    expect(up('slow').status).toBe(0);
    const r = sb.ctnr(dir, 'logs', 'slow', '-f', '--no-log-prefix');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(numbered(1, 30).join('\n') + '\n');
    expect(logFiles('slow').length).toBeGreaterThan(2);
  });

  it('with a restart policy: one pipe for every run, and the log has each run\'s output', async () => {
    expect(up('flaky').status).toBe(0);
    expect(await until(() => !monitorOf('flaky'))).toBe(true);
    expect(sb.ctnr(dir, 'logs', 'flaky', '--no-log-prefix').stdout).toBe('run\nrun\nrun\n');
    const ps = JSON.parse(sb.ctnr(dir, 'ps', '--json').stdout) as Array<{ id: string; status: string; restarts: number }>;
    expect(ps.find((p) => p.id === id('flaky'))).toMatchObject({ status: 'exited (3)', restarts: 2 });
  });

  it('run -d rotates the same way', async () => {
    const r = sb.ctnr(dir, 'run', '-d', '--rootfs', sb.rootfs, '--runtime', 'runc', 'detached');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(id('detached'));
    expect(await until(() => !monitorOf('detached'))).toBe(true);
    expect(logFiles('detached')).toEqual(['ctnr.log.1', 'ctnr.log']);
    const text = sb.ctnr(dir, 'logs', 'detached', '--no-log-prefix').stdout;
    expect(text.length).toBeLessThanOrEqual(400);
    expect(text.endsWith('line 100\n')).toBe(true);
  });

  it('a dependency up runs to its end: up rotates its log while it waits', () => {
    const r = up('after-setup');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${id('setup')} completed`);
    expect(logFiles('setup')).toEqual(['ctnr.log.1', 'ctnr.log']);
    for (const f of logFiles('setup')) expect(statSync(path.join(bundle('setup'), f)).size).toBeLessThanOrEqual(300);
    expect(readFileSync(log('setup'), 'utf8').endsWith('line 100\n')).toBe(true);
    expect(readdirSync(bundle('setup')).filter((n) => n.includes('fifo'))).toEqual([]);
  });

  it('driver none: nothing is kept, and logs says so', async () => {
    expect(up('quiet').status).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(log('quiet'))).toBe(false);
    const r = sb.ctnr(dir, 'logs', 'quiet');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${id('quiet')}: its output is not kept (logging driver none)`);
  });

  it('a driver ctnr has no sink for: a warning, and the output is in ctnr.log', async () => {
    const r = up('remote');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('remote: logging driver "syslog" is not supported by ctnr: the output goes to ctnr.log in the bundle');
    expect(await sb.waitFor(log('remote'), 'to the file')).toContain('to the file');
  });

  it('a size that is none: a located error, nothing started', () => {
    const r = up('bad');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: compose\.yaml:\d+:\d+ services\.bad\.logging\.options\.max-size: "10x" is not a byte size/);
    expect(sb.runtimeState()).not.toContain(id('bad'));
  });
});
