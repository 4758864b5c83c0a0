import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeName } from '../../src/network/default-conf.js';
import { cniE2eAvailable, httpd, IDLE, keysSandbox, sh, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `links` and `external_links` under runc with the real CNI plugins: the alias resolves inside the linking
 * container (its /etc/hosts) to the linked container's address, and answers there. The external container is
 * another project's, on a network both name.
 */
describe.skipIf(!cniE2eAvailable())('compose keys: links and external_links (runc, CNI)', () => {
  const project = `ckl${process.pid}`;
  const other = `cklx${process.pid}`;
  const shared = `cklnet${process.pid}`;
  const networks = [`${project}_default`, shared];
  let sb: KeysSandbox;
  let web: string;
  let legacy: string;

  beforeAll(() => {
    sb = keysSandbox();
    legacy = sb.project(
      'legacy',
      [
        `name: ${other}`,
        'services:',
        '  app:',
        '    image: busybox',
        `    command: ${httpd('legacy-app')}`,
        '    stop_signal: SIGKILL',
        '    networks: [shared]',
        'networks:',
        `  shared: {name: ${shared}}`,
        '',
      ].join('\n'),
    );
    const probe = [
      'for i in $(seq 1 50); do wget -q -O - http://database:8080/ >/dev/null 2>&1 && break; sleep 0.2; done',
      'echo "database=$(wget -q -O - http://database:8080/)"',
      'echo "oldapp=$(wget -q -O - http://oldapp:8080/)"',
      'echo "db=$(wget -q -O - http://db:8080/)"',
      'echo "hosts=$(grep -E "database|oldapp" /etc/hosts | tr "\\t\\n" " |")"',
      'echo probe-done',
      "trap 'exit 0' TERM; while :; do sleep 0.2; done",
    ].join('; ');
    web = sb.project(
      'web',
      [
        `name: ${project}`,
        'services:',
        '  db:',
        '    image: busybox',
        `    command: ${httpd('from-db')}`,
        '    stop_signal: SIGKILL',
        '  web:',
        '    image: busybox',
        `    command: ["sh", "-c", ${JSON.stringify(probe)}]`,
        '    links: ["db:database"]',
        `    external_links: ["${other}-app:oldapp"]`,
        '    networks: [default, shared]',
        '  ghostly:',
        '    image: busybox',
        `    command: ${IDLE}`,
        '    external_links: [no-such-container]',
        '  dangling:',
        '    image: busybox',
        `    command: ${IDLE}`,
        '    links: [nosuch]',
        'networks:',
        '  default: {}',
        `  shared: {name: ${shared}, external: false}`,
        '',
      ].join('\n'),
    );
  });

  afterAll(() => {
    if (!sb) return;
    sb.ctnr(web, 'down');
    sb.ctnr(legacy, 'down');
    sb.cleanup(networks, 'ckl');
  });

  it('up web starts the linked db first; inside web the alias and the external alias answer, and /etc/hosts says why', async () => {
    const l = sb.ctnr(legacy, 'up', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(l.status, l.stderr).toBe(0);
    const up = sb.ctnr(web, 'up', 'web', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    // links are start dependencies, as depends_on (compose adds them to depends_on).
    expect(up.stdout).toBe(`${project}-db started\n${project}-web started\n`);
    const log = await sb.waitFor(path.join(sb.dataDir, 'bundles', `${project}-web`, 'ctnr.log'), 'probe-done');
    expect(log).toContain('database=from-db\n');
    expect(log).toContain('oldapp=legacy-app\n');
    // The service name keeps resolving through the network, the alias through the links block.
    expect(log).toContain('db=from-db\n');
    expect(log).toMatch(/^hosts=10\.88\.\d+\.\d+ database\|10\.88\.\d+\.\d+ oldapp\|$/m);
    // The alias is this container's: db does not resolve "database".
    const fromDb = sb.exec(`${project}-db`, 'sh', '-c', 'grep -c database /etc/hosts || true');
    expect(fromDb.stdout.trim()).toBe('0');
  });

  it('restarting the linked service moves the alias to its new address', async () => {
    const before = sb.exec(`${project}-web`, 'sh', '-c', "grep -w database /etc/hosts | cut -f1").stdout.trim();
    const down = sb.ctnr(web, 'down', 'db');
    expect(down.status, down.stderr).toBe(0);
    expect(sb.exec(`${project}-web`, 'sh', '-c', 'grep -cw database /etc/hosts || true').stdout.trim()).toBe('0');
    expect(sb.ctnr(web, 'up', 'db', '--rootfs', sb.rootfs, '--runtime', 'runc').status).toBe(0);
    const after = sb.exec(`${project}-web`, 'sh', '-c', "grep -w database /etc/hosts | cut -f1").stdout.trim();
    expect(after).toMatch(/^10\.88\.\d+\.\d+$/);
    expect(after).not.toBe(before);
    const got = sb.exec(`${project}-web`, 'sh', '-c', 'for i in $(seq 1 30); do wget -q -O - http://database:8080/ && exit 0; sleep 0.2; done; exit 1');
    expect(got.stdout).toBe('from-db\n');
  });

  it('an external link to a container ctnr does not know, and a link to no service, are located errors; nothing starts', () => {
    const ghost = sb.ctnr(web, 'up', 'ghostly', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(ghost.status).toBe(1);
    expect(ghost.stderr).toMatch(/compose\.yaml:\d+:\d+ \[ctnr:network-hook\] services\.ghostly\.external_links\[0\]: container "no-such-container" is not a container ctnr started/);
    const dangling = sb.ctnr(web, 'up', 'dangling', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(dangling.status).toBe(1);
    expect(dangling.stderr).toMatch(/compose\.yaml:\d+:\d+ services\.dangling\.links\[0\]: links names "nosuch", which is not a service of this file/);
    expect(sb.runtimeState().sort()).toEqual([`${other}-app`, `${project}-db`, `${project}-web`].sort());
  });

  it('down removes everything: containers, endpoints, bridges', () => {
    for (const dir of [web, legacy]) {
      const down = sb.ctnr(dir, 'down');
      expect(down.status, down.stderr).toBe(0);
    }
    expect(sb.runtimeState()).toEqual([]);
    for (const n of networks) expect(sh('ip', ['link', 'show', 'dev', bridgeName(n)]).status).not.toBe(0);
  });
});
