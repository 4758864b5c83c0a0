import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeName } from '../../src/network/default-conf.js';
import { cniE2eAvailable, keysSandbox, sh, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `deploy.replicas` / `scale` under runc with the real CNI plugins: `ctnr up` starts that many containers named
 * `<project>-<service>-<n>`, each with its name as hostname; every replica resolves by its name and the service
 * name lists them all in /etc/hosts (the first line, the lowest address, answers a resolver reading hosts files);
 * `ps` shows them, scaling down removes the extra ones, `down` removes them all.
 */
describe.skipIf(!cniE2eAvailable())('compose keys: deploy.replicas and scale (runc, CNI)', () => {
  const project = `ckr${process.pid}`;
  const network = `${project}_default`;
  let sb: KeysSandbox;
  let dir: string;
  const id = (n: number) => `${project}-web-${n}`;
  // Each replica serves its own hostname.
  const serve = JSON.stringify(['sh', '-c', 'h=$$(hostname); mkdir -p /tmp/www-$$h && echo $$h > /tmp/www-$$h/index.html && exec httpd -f -p 8080 -h /tmp/www-$$h']);
  const write = (replicas: number) =>
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      [
        `name: ${project}`,
        'services:',
        '  web:',
        '    image: busybox',
        `    command: ${serve}`,
        '    stop_signal: SIGKILL',
        '    ports: ["8080"]',
        '    deploy:',
        `      replicas: ${replicas}`,
        '  both:',
        '    image: busybox',
        '    command: ["true"]',
        '    scale: 2',
        '    deploy: {replicas: 3}',
        '  named:',
        '    image: busybox',
        '    command: ["true"]',
        '    scale: 2',
        '    container_name: just-one',
        '  published:',
        '    image: busybox',
        '    command: ["true"]',
        '    scale: 2',
        '    ports: ["18080:80"]',
        '',
      ].join('\n'),
    );

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project('replicas', '');
    write(3);
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down');
    sb.cleanup([network], project);
  });

  it('up starts three containers <project>-web-<n>; ps lists them; each has its name as hostname', () => {
    const up = sb.ctnr(dir, 'up', 'web', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`${id(1)} started\n${id(2)} started\n${id(3)} started\n`);
    const ps = JSON.parse(sb.ctnr(dir, 'ps', '--json').stdout) as Array<{ id: string; service: string; status: string }>;
    expect(ps.map((p) => `${p.id}:${p.service}:${p.status}`)).toEqual([1, 2, 3].map((n) => `${id(n)}:web:running`));
    for (const n of [1, 2, 3]) expect(sb.exec(id(n), 'hostname').stdout.trim()).toBe(id(n));
  });

  it('each replica answers by its name; the service name is every replica in /etc/hosts and resolves to the first', () => {
    const addr = (n: number) => sb.exec(id(n), 'sh', '-c', "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1").stdout.trim();
    const addrs = [1, 2, 3].map(addr);
    for (const a of addrs) expect(sh('ip', ['route', 'get', a]).stdout).toContain(`dev ${bridgeName(network)}`);
    const hosts = sb.exec(id(2), 'cat', '/etc/hosts').stdout;
    for (const n of [1, 2, 3]) expect(hosts).toContain(`${addrs[n - 1]}\tweb ${id(n)}\n`);
    const get = (from: number, host: string) =>
      sb.exec(id(from), 'sh', '-c', `for i in $(seq 1 30); do wget -q -O - http://${host}:8080/ && exit 0; sleep 0.2; done; exit 1`).stdout.trim();
    expect(get(1, id(3))).toBe(id(3));
    expect(get(3, id(2))).toBe(id(2));
    const first = [...addrs].sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3]))[0];
    expect(get(2, 'web')).toBe(id(addrs.indexOf(first!) + 1));
  });

  it('scaling down to 2 stops and removes the third; its name leaves the others\' /etc/hosts', () => {
    write(2);
    const up = sb.ctnr(dir, 'up', 'web', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`${id(3)} removed\n${id(1)} already running\n${id(2)} already running\n`);
    expect(sb.runtimeState().sort()).toEqual([id(1), id(2)]);
    expect(sb.exec(id(1), 'cat', '/etc/hosts').stdout).not.toContain(id(3));
  });

  it.each([
    ['both', /services\.both\.scale: can't set distinct values on 'scale' \(2\) and 'deploy\.replicas' \(3\)/],
    ['named', /services\.named\.container_name: container_name "just-one" names one container, and scale asks for 2/],
    ['published', /services\.published\.ports\[0\]: host port 18080 cannot be published by 2 replicas/],
  ])('%s: a located error, nothing starts', (service, message) => {
    const r = sb.ctnr(dir, 'up', service, '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/compose\.yaml:\d+:\d+ /);
    expect(r.stderr).toMatch(message);
    expect(sb.runtimeState().sort()).toEqual([id(1), id(2)]);
  });

  it('down removes every replica and the network', () => {
    const down = sb.ctnr(dir, 'down');
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toBe(`${id(1)} removed\n${id(2)} removed\n`);
    expect(sb.runtimeState()).toEqual([]);
    expect(sh('ip', ['link', 'show', 'dev', bridgeName(network)]).status).not.toBe(0);
  });
});
