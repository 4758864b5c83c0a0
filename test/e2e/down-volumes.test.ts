import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `down -v` as `docker compose down -v`: the named volumes the file declares go with the containers; an external
 * volume, a local-driver bind of a host directory, and a volume another project's running container uses stay.
 * `up -d` is accepted (up always starts detached).
 */
describe.skipIf(!cniE2eAvailable())('down -v', () => {
  const project = `dv${process.pid}`;
  const other = `dvo${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  let otherDir: string;
  let hostDir: string;
  const volume = (name: string) => path.join(sb.dataDir, 'volumes', name);

  beforeAll(() => {
    sb = keysSandbox();
    hostDir = path.join(sb.dir, 'host-data');
    mkdirSync(hostDir);
    writeFileSync(path.join(hostDir, 'keep.txt'), 'mine\n');
    mkdirSync(path.join(sb.dataDir, 'volumes', 'outside'), { recursive: true });
    dir = sb.project(
      'main',
      [
        `name: ${project}`,
        'services:',
        '  app:',
        '    image: busybox',
        '    network_mode: none',
        `    command: ${IDLE}`,
        '    volumes: [data:/data, shared:/shared, ext:/ext, bound:/bound, /anon]',
        'volumes:',
        '  data: {}',
        '  shared: { name: shared-one }',
        '  ext: { external: true, name: outside }',
        `  bound: { driver_opts: { type: none, o: bind, device: ${hostDir} } }`,
        '  unused: {}',
        '',
      ].join('\n'),
    );
    otherDir = sb.project(
      'other',
      [`name: ${other}`, 'services:', '  user:', '    image: busybox', '    network_mode: none', `    command: ${IDLE}`, '    volumes: [sv:/s]', 'volumes:', '  sv: { external: true, name: shared-one }', ''].join('\n'),
    );
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(otherDir, 'down');
    sb.ctnr(dir, 'down');
    sb.cleanup([], 'dv');
  });

  it('up -d starts detached, as up does', () => {
    const r = sb.ctnr(dir, 'up', '-d', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(`${project}-app started\n`);
    expect(sb.exec(`${project}-app`, 'sh', '-c', 'echo kept > /data/x').status).toBe(0);
    const o = sb.ctnr(otherDir, 'up', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(o.status, o.stderr).toBe(0);
  });

  it('with service names it is a usage error, and nothing stops', () => {
    const r = sb.ctnr(dir, 'down', '-v', 'app');
    expect([r.status, r.stderr]).toEqual([2, 'error: down -v removes the volumes of the whole project: run it without service names\n']);
    expect(sb.runtimeState()).toContain(`${project}-app`);
  });

  it('removes the project’s own volumes; keeps the external one, the host directory, and one another project runs with', () => {
    const r = sb.ctnr(dir, 'down', '-v');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${project}-app removed\nvolume ${project}_data removed\n`);
    expect(r.stderr).toBe(`note: volume shared-one is kept: ${other}-user still uses it\n`);
    expect(existsSync(volume(`${project}_data`))).toBe(false);
    expect([existsSync(volume('shared-one')), existsSync(volume('outside'))]).toEqual([true, true]);
    expect(readFileSync(path.join(hostDir, 'keep.txt'), 'utf8')).toBe('mine\n');
    // Once nobody runs with it, the next down -v removes it.
    expect(sb.ctnr(otherDir, 'down').status).toBe(0);
    const again = sb.ctnr(dir, 'down', '-v');
    expect([again.status, again.stdout, again.stderr]).toEqual([0, 'volume shared-one removed\n', '']);
  });
});
