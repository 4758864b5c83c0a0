import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHostBinaries, cniE2eAvailable, IDLE, keysSandbox, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * `ipc: shareable` and `ipc: service:NAME` under runc: the joiner is in the donor's IPC namespace (a SysV shared
 * memory segment made in one is listed in the other, made with util-linux ipcmk: busybox has no ipc applets) and
 * binds the donor's /dev/shm, a tmpfs on the host while the donor exists. A private IPC namespace cannot be
 * joined (docker's rule). network_mode none: no CNI needed.
 */
describe.skipIf(!cniE2eAvailable(['ipcmk', 'ldd']))('compose keys: ipc shareable / service:NAME (runc)', () => {
  const project = `cki${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  const id = (s: string) => `${project}-${s}`;

  beforeAll(() => {
    sb = keysSandbox();
    expect(addHostBinaries(sb.rootfs, ['/usr/bin/ipcmk'])).toBe(true);
    const svc = (name: string, extra: string[]) => [`  ${name}:`, '    image: busybox', `    command: ${IDLE}`, '    network_mode: none', ...extra.map((l) => `    ${l}`)];
    dir = sb.project(
      'ipc',
      [
        `name: ${project}`,
        'services:',
        ...svc('donor', ['ipc: shareable', 'shm_size: 8m']),
        ...svc('joiner', ['ipc: service:donor']),
        ...svc('third', ['ipc: service:joiner']),
        ...svc('lone', []),
        ...svc('refused', ['ipc: service:lone']),
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (!sb) return;
    sb.ctnr(dir, 'down');
    sb.cleanup([], project);
  });

  it('up joiner starts the donor first; both are in one IPC namespace, a SysV segment made in one is seen in the other', () => {
    const up = sb.ctnr(dir, 'up', 'third', 'lone', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`${id('donor')} started\n${id('joiner')} started\n${id('third')} started\n${id('lone')} started\n`);
    const ns = (s: string) => sb.exec(id(s), 'readlink', '/proc/self/ns/ipc').stdout.trim();
    expect(ns('joiner')).toBe(ns('donor'));
    expect(ns('third')).toBe(ns('donor'));
    expect(ns('lone')).not.toBe(ns('donor'));

    const made = sb.exec(id('donor'), 'ipcmk', '-M', '65536');
    expect(made.status, made.stderr).toBe(0);
    const shmid = /Shared memory id: (\d+)/.exec(made.stdout)?.[1];
    expect(shmid).toBeDefined();
    // /proc/sysvipc/shm lists the segments of the reader's IPC namespace: key shmid perms size …
    const listed = (s: string) => sb.exec(id(s), 'cat', '/proc/sysvipc/shm').stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 3);
    expect(listed('joiner').map((f) => `${f[1]}:${f[3]}`)).toContain(`${shmid}:65536`);
    expect(listed('third').map((f) => f[1])).toContain(shmid);
    expect(listed('lone').map((f) => f[1])).not.toContain(shmid);
  });

  it('/dev/shm is shared too: the donor\'s tmpfs (shm_size), a file written in the joiner is read in the donor', () => {
    expect(sb.exec(id('joiner'), 'sh', '-c', 'echo from-joiner > /dev/shm/note').status).toBe(0);
    expect(sb.exec(id('donor'), 'cat', '/dev/shm/note').stdout).toBe('from-joiner\n');
    expect(sb.exec(id('third'), 'cat', '/dev/shm/note').stdout).toBe('from-joiner\n');
    expect(sb.exec(id('lone'), 'sh', '-c', 'cat /dev/shm/note 2>&1 || true').stdout).toMatch(/No such file/);
    const mounts = sb.exec(id('donor'), 'grep', ' /dev/shm ', '/proc/mounts').stdout;
    expect(mounts).toMatch(/^shm \/dev\/shm tmpfs \S*size=8192k/m);
    // On the host: a tmpfs in the donor's bundle.
    expect(readFileSync('/proc/self/mounts', 'utf8')).toContain(`${sb.dataDir}/bundles/${id('donor')}/ctnr/shm tmpfs`);
  });

  it('joining a private IPC namespace is refused with a located error, and nothing starts', () => {
    const r = sb.ctnr(dir, 'up', 'refused', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/compose\.yaml:\d+:\d+ \[ctnr:namespaces\] services\.refused\.ipc: ipc "service:lone": the IPC namespace of service lone \(cki\d+-lone\) is private: give it ipc: shareable/);
    expect(sb.runtimeState()).not.toContain(id('refused'));
  });

  it('down removes the containers and unmounts the donor\'s tmpfs', () => {
    const down = sb.ctnr(dir, 'down');
    expect(down.status, down.stderr).toBe(0);
    expect(sb.runtimeState()).toEqual([]);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(sb.dataDir);
  });
});
