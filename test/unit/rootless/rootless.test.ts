import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSubordinateRanges, rootlessPlugin } from '../../../plugins/rootless/rootless.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';
import { buildBusyboxRootfs } from '../../helpers/rootfs.js';

const ROOTLESS = { rootless: true, uid: 1234, gid: 1235 };

let dir: string;
let files: { subuidFile: string; subgidFile: string; passwdFile: string };
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-rootless-'));
  files = { subuidFile: path.join(dir, 'subuid'), subgidFile: path.join(dir, 'subgid'), passwdFile: path.join(dir, 'passwd') };
  writeFileSync(files.passwdFile, 'root:x:0:0::/root:/bin/sh\nalice:x:1234:1235::/home/alice:/bin/sh\n');
  writeFileSync(files.subuidFile, '# comment\nbob:100000:65536\nalice:200000:65536\n1234:400000:1000\n');
  writeFileSync(files.subgidFile, 'alice:300000:65536\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withSubids = (subids: 'auto' | 'never' = 'auto') => ({ plugins: [{ ...rootlessPlugin({ subids, ...files }), replace: true }] });

describe('readSubordinateRanges', () => {
  it.each([
    { text: 'alice:100000:65536\n', names: ['alice'], ranges: [{ start: 100000, count: 65536 }] },
    { text: '1234:5:10\nalice:100:1\n', names: ['alice', '1234'], ranges: [{ start: 5, count: 10 }, { start: 100, count: 1 }] },
    { text: 'bob:100000:65536\n', names: ['alice'], ranges: [] },
    { text: 'alice:x:1\nalice:1:0\n#alice:1:1\n', names: ['alice'], ranges: [] },
  ])('$text', ({ text, names, ranges }) => expect(readSubordinateRanges(text, names)).toEqual(ranges));
});

describe('ctnr:rootless', () => {
  it('does nothing when not rootless', async () => {
    const result = await runServiceYaml({});
    expect(result.trace.some((t) => t.plugin === 'ctnr:rootless')).toBe(false);
  });

  it('single mapping: own uid/gid → 0, user namespace added, network namespace kept', async () => {
    const { spec } = await runServiceYaml({}, { env: ROOTLESS, ...withSubids('never') });
    expect(spec.linux!.uidMappings).toEqual([{ containerID: 0, hostID: 1234, size: 1 }]);
    expect(spec.linux!.gidMappings).toEqual([{ containerID: 0, hostID: 1235, size: 1 }]);
    const types = spec.linux!.namespaces!.map((n) => n.type);
    expect(types).toContain('user');
    expect(types).toContain('network');
  });

  it('subordinate ranges (by name and by uid) follow the own id, like rootless podman', async () => {
    const { spec } = await runServiceYaml({}, { env: ROOTLESS, ...withSubids() });
    expect(spec.linux!.uidMappings).toEqual([
      { containerID: 0, hostID: 1234, size: 1 },
      { containerID: 1, hostID: 200000, size: 65536 },
      { containerID: 65537, hostID: 400000, size: 1000 },
    ]);
    expect(spec.linux!.gidMappings).toEqual([
      { containerID: 0, hostID: 1235, size: 1 },
      { containerID: 1, hostID: 300000, size: 65536 },
    ]);
  });

  it('mounts: /sys is a read-only rbind in place, devpts has no gid=', async () => {
    const { spec } = await runServiceYaml({}, { env: ROOTLESS, ...withSubids('never') });
    const base = createBaseSpec().mounts!;
    expect(spec.mounts!.slice(0, base.length).map((m) => m.destination)).toEqual(base.map((m) => m.destination));
    expect(spec.mounts!.find((m) => m.destination === '/sys')).toEqual({ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    expect(spec.mounts!.find((m) => m.destination === '/dev/pts')!.options).toEqual(['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620']);
  });

  it('no linux.resources (no cgroup), and later stages keep it that way', async () => {
    const { spec } = await runServiceYaml({ pids_limit: 10, privileged: true }, { env: ROOTLESS, ...withSubids('never') });
    expect(spec.linux!.resources).toBeUndefined();
  });

  it('privileged rootless: /sys rbind becomes writable', async () => {
    const { spec } = await runServiceYaml({ privileged: true }, { env: ROOTLESS, ...withSubids('never') });
    expect(spec.mounts!.find((m) => m.destination === '/sys')!.options).not.toContain('ro');
  });

  describe('process user and groups', () => {
    let rootfs: string;
    let cleanup: () => void;
    beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
    afterAll(() => cleanup?.());

    it('a non-root user needs subordinate ranges', async () => {
      const err = await serviceError({ user: 'app' }, { env: { ...ROOTLESS, rootfs }, ...withSubids('never') });
      expect(err.path).toBe('services.svc.user');
      expect(err.message).toMatch(/user 1000 is not mapped .*\/etc\/subuid/);
      const ok = await runServiceYaml({ user: 'app' }, { env: { ...ROOTLESS, rootfs }, ...withSubids() });
      expect(ok.spec.process!.user).toMatchObject({ uid: 1000, gid: 1000 });
    });

    it('supplementary groups are dropped with a warning', async () => {
      const { spec, diagnostics } = await runServiceYaml({ group_add: ['video'] }, { env: { ...ROOTLESS, rootfs }, ...withSubids() });
      expect(spec.process!.user.additionalGids).toBeUndefined();
      const w = diagnostics.find((d) => d.plugin === 'ctnr:rootless')!;
      expect(w).toMatchObject({ level: 'warning', path: 'services.svc.group_add' });
      expect(w.message).toMatch(/supplementary groups 44 dropped/);
    });
  });

  it.each([
    { service: { userns_mode: 'host' }, path: 'services.svc.userns_mode', msg: 'cannot be combined with rootless' },
    { service: { pid: 'host' }, path: 'services.svc.pid', msg: 'pid: host is not possible rootless' },
    { service: { ipc: 'host' }, path: 'services.svc.ipc', msg: 'ipc: host is not possible rootless' },
    { service: { oom_score_adj: -500 }, path: 'services.svc.oom_score_adj', msg: 'can only raise it' },
  ])('refuses $service', async ({ service, path: p, msg }) => {
    const err = await serviceError(service, { env: ROOTLESS, ...withSubids('never') });
    expect(err.plugin).toBe('ctnr:rootless');
    expect(err.path).toBe(p);
    expect(err.message).toContain(msg);
  });
});
