import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeName } from '../../src/network/default-conf.js';
import { cniE2eAvailable, httpd, keysSandbox, sh, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * ctnr beside podman: podman's default network (bridge cni-podman0) holds all of 10.88.0.0/16, ctnr's default
 * subnet pool. A bridge with 10.88.0.1/16 stands for it here. `ctnr up` then puts its network on a /24 of
 * the next pool (10.89.0.0/16 and up) instead of failing with no free subnet, and the container is reachable there.
 * (A bridge, as podman's is: this VM's kernel has no dummy interfaces.)
 */
describe.skipIf(!cniE2eAvailable())('the subnet pool beside podman\'s default network (runc, CNI)', () => {
  const project = `ckpool${process.pid}`;
  const network = `${project}_default`;
  const dummy = `ctnrt${process.pid % 100000}`;
  let sb: KeysSandbox;
  let dir: string;

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project('pool', [`name: ${project}`, 'services:', '  web:', '    image: busybox', `    command: ${httpd('pooled')}`, '    stop_signal: SIGKILL', ''].join('\n'));
    const add = sh('ip', ['link', 'add', dummy, 'type', 'bridge']);
    if (add.status !== 0) throw new Error(`ip link add: ${add.stderr}`);
    sh('ip', ['addr', 'add', '10.88.0.1/16', 'dev', dummy]);
    sh('ip', ['link', 'set', dummy, 'up']);
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down');
    sb.cleanup([network], project);
    sh('ip', ['link', 'del', dummy]);
  });

  it('up takes a /24 of 10.89.0.0/16 and up; the container answers there', () => {
    const up = sb.ctnr(dir, 'up', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    const addr = sb.exec(`${project}-web`, 'sh', '-c', "ip -4 -o addr show eth0 | awk '{print $4}'").stdout.trim();
    expect(addr).toMatch(/^10\.(89|9\d)\.\d+\.\d+\/24$/);
    const ip = addr.split('/')[0]!;
    expect(sh('ip', ['route', 'get', ip]).stdout).toContain(`dev ${bridgeName(network)}`);
    const got = sh('sh', ['-c', `for i in $(seq 1 30); do wget -q -O - http://${ip}:8080/ && exit 0; sleep 0.2; done; exit 1`]);
    expect(got.stdout.trim()).toBe('pooled');
  });
});
