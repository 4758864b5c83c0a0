import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `volumes_from` under runc: a service's named volume, anonymous volume and bind are mounted in the services
 * naming it (read-only with `:ro`, as they are without a mode), resolved when `ctnr up` starts them; a container
 * of another project (`container:ID`, as `ctnr ps` lists it) too. network_mode none: no CNI needed.
 */
describe.skipIf(!cniE2eAvailable())('compose keys: volumes_from (runc)', () => {
  const project = `ckv${process.pid}`;
  const other = `ckvx${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  let otherDir: string;
  const id = (s: string) => `${project}-${s}`;
  const svc = (name: string, extra: string[]) => [`  ${name}:`, '    image: busybox', `    command: ${IDLE}`, '    network_mode: none', ...extra.map((l) => `    ${l}`)];

  beforeAll(() => {
    sb = keysSandbox();
    otherDir = sb.project('other', [`name: ${other}`, 'services:', ...svc('store', ['volumes: [/cache]']), ''].join('\n'));
    dir = sb.project(
      'main',
      [
        `name: ${project}`,
        'services:',
        ...svc('data', ['volumes: ["shared:/data", "/anon", "./hostdir:/host"]']),
        ...svc('reader', ['volumes_from: ["data:ro"]']),
        ...svc('writer', ['volumes_from: ["service:data"]']),
        ...svc('outsider', [`volumes_from: ["container:${other}-store:ro"]`]),
        ...svc('ghost', ['volumes_from: ["container:no-such-container"]']),
        'volumes:',
        '  shared: {}',
        '',
      ].join('\n'),
    );
    mkdirSync(path.join(dir, 'hostdir'));
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down');
    sb.ctnr(otherDir, 'down');
    sb.cleanup([], 'ckv');
  });

  it('up reader starts data first; reader sees data\'s named volume, anonymous volume and bind, read-only', () => {
    expect(sb.ctnr(otherDir, 'up', '--rootfs', sb.rootfs, '--runtime', 'runc').status).toBe(0);
    const up = sb.ctnr(dir, 'up', 'reader', 'writer', 'outsider', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`${id('data')} started\n${id('reader')} started\n${id('writer')} started\n${id('outsider')} started\n`);
    { const e = sb.exec(id('data'), 'sh', '-c', 'echo named > /data/a && echo anon > /anon/b && echo bind > /host/c'); expect(e.status, e.stderr + e.stdout).toBe(0); }
    expect(sb.exec(id('reader'), 'cat', '/data/a', '/anon/b', '/host/c').stdout).toBe('named\nanon\nbind\n');
    const w = sb.exec(id('reader'), 'sh', '-c', 'touch /data/x 2>&1; touch /anon/x 2>&1; true');
    expect(w.stdout).toMatch(/^touch: \/data\/x: Read-only file system\ntouch: \/anon\/x: Read-only file system\n$/);
  });

  it('without a mode each mount keeps its own: writer writes into data\'s anonymous volume, data reads it', () => {
    expect(sb.exec(id('writer'), 'sh', '-c', 'echo from-writer > /anon/w').status).toBe(0);
    expect(sb.exec(id('data'), 'cat', '/anon/w').stdout).toBe('from-writer\n');
  });

  it('container:ID shares another project\'s container\'s volumes', () => {
    expect(sb.exec(`${other}-store`, 'sh', '-c', 'echo cached > /cache/z').status).toBe(0);
    expect(sb.exec(id('outsider'), 'cat', '/cache/z').stdout).toBe('cached\n');
    expect(sb.exec(id('outsider'), 'sh', '-c', 'touch /cache/y 2>&1; true').stdout).toMatch(/Read-only file system/);
  });

  it('a container ctnr does not know is a located error; nothing starts', () => {
    const r = sb.ctnr(dir, 'up', 'ghost', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/compose\.yaml:\d+:\d+ \[ctnr:volumes-from\] services\.ghost\.volumes_from\[0\]: volumes_from "container:no-such-container": container no-such-container: it is not a container ctnr started \(ctnr ps lists them\)/);
    expect(sb.runtimeState()).not.toContain(id('ghost'));
  });

  it('down removes them all', () => {
    for (const d of [dir, otherDir]) {
      const down = sb.ctnr(d, 'down');
      expect(down.status, down.stderr).toBe(0);
    }
    expect(sb.runtimeState()).toEqual([]);
  });
});
