import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSubordinateRanges, rootlessPlugin } from '../../../plugins/rootless/rootless.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import type { Spec } from '../../../src/spec/types.js';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { baseSpec } from '../../helpers/plugin-table.js';

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

const plugin = (subids: 'auto' | 'never' = 'auto') => rootlessPlugin({ subids, ...files });
/** Run ctnr:rootless alone, rootless, on a fragment; `spec` is what the process stage would have left. */
const rootless = (service: Record<string, unknown>, subids: 'auto' | 'never' = 'never', spec?: Spec) =>
  testPluginYaml(plugin(subids), service, { env: ROOTLESS, ...(spec ? { spec } : {}) });
/** The default preset with ctnr:rootless reading the test's subordinate-id files. */
const withSubids = (subids: 'auto' | 'never' = 'auto') => ({ plugins: [{ ...plugin(subids), replace: true }] });

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
    const r = await testPluginYaml(plugin(), {});
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(r.spec).toEqual(createBaseSpec());
  });

  it('single mapping: own uid/gid → 0, user namespace added, network namespace kept', async () => {
    const r = await rootless({});
    expect(r.errors).toEqual([]);
    const { spec } = r;
    expect(spec!.linux!.uidMappings).toEqual([{ containerID: 0, hostID: 1234, size: 1 }]);
    expect(spec!.linux!.gidMappings).toEqual([{ containerID: 0, hostID: 1235, size: 1 }]);
    expect(r.ops).toContainEqual({ op: 'add', path: '/linux/namespaces/-', value: { type: 'user' } });
    const types = spec!.linux!.namespaces!.map((n) => n.type);
    expect(types).toContain('user');
    expect(types).toContain('network');
  });

  it('a user namespace already there is not added twice', async () => {
    const r = await rootless({}, 'never', baseSpec((s) => { s.linux!.namespaces!.push({ type: 'user' }); }));
    expect(r.spec!.linux!.namespaces!.filter((n) => n.type === 'user')).toHaveLength(1);
  });

  it('subordinate ranges (by name and by uid) follow the own id, like rootless podman', async () => {
    const { spec } = await rootless({}, 'auto');
    expect(spec!.linux!.uidMappings).toEqual([
      { containerID: 0, hostID: 1234, size: 1 },
      { containerID: 1, hostID: 200000, size: 65536 },
      { containerID: 65537, hostID: 400000, size: 1000 },
    ]);
    expect(spec!.linux!.gidMappings).toEqual([
      { containerID: 0, hostID: 1235, size: 1 },
      { containerID: 1, hostID: 300000, size: 65536 },
    ]);
  });

  it('mounts: /sys is a read-only rbind in place, devpts has no gid=', async () => {
    const r = await rootless({});
    const base = createBaseSpec().mounts!;
    const sys = base.findIndex((m) => m.destination === '/sys');
    expect(r.ops).toContainEqual({ op: 'replace', path: `/mounts/${sys}`, value: { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] } });
    const spec = r.spec!;
    expect(spec.mounts!.map((m) => m.destination)).toEqual(base.map((m) => m.destination));
    expect(spec.mounts!.find((m) => m.destination === '/sys')).toEqual({ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    expect(spec.mounts!.find((m) => m.destination === '/dev/pts')!.options).toEqual(['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620']);
  });

  it('no linux.resources (no cgroup)', async () => {
    const r = await rootless({});
    expect(r.ops).toContainEqual({ op: 'remove', path: '/linux/resources' });
    expect(r.spec!.linux!.resources).toBeUndefined();
  });

  describe('process user and groups (as ctnr:user resolved them)', () => {
    /** What ctnr:user writes for `user: app` from a rootfs with app = 1000:1000. */
    const app = () => baseSpec((s) => { s.process!.user = { uid: 1000, gid: 1000 }; });

    it('a non-root user needs subordinate ranges', async () => {
      const { errors } = await rootless({ user: 'app' }, 'never', app());
      expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:rootless', path: 'services.svc.user' }]);
      expect(errors[0]!.message).toMatch(/user 1000 is not mapped .*\/etc\/subuid/);
      const ok = await rootless({ user: 'app' }, 'auto', app());
      expect(ok.errors).toEqual([]);
      expect(ok.spec!.process!.user).toMatchObject({ uid: 1000, gid: 1000 });
      expect(ok.spec!.linux!.uidMappings!.some((m) => 1000 >= m.containerID && 1000 < m.containerID + m.size)).toBe(true);
    });

    it('supplementary groups are dropped with a warning', async () => {
      const spec = baseSpec((s) => { s.process!.user = { uid: 0, gid: 0, additionalGids: [44] }; });
      const r = await rootless({ group_add: ['video'] }, 'auto', spec);
      expect(r.errors).toEqual([]);
      expect(r.ops).toContainEqual({ op: 'remove', path: '/process/user/additionalGids' });
      expect(r.spec!.process!.user.additionalGids).toBeUndefined();
      expect(r.diagnostics).toMatchObject([{ level: 'warning', plugin: 'ctnr:rootless', path: 'services.svc.group_add' }]);
      expect(r.diagnostics[0]!.message).toMatch(/supplementary groups 44 dropped/);
    });
  });

  it.each([
    { service: { userns_mode: 'host' }, path: 'services.svc.userns_mode', msg: 'cannot be combined with rootless' },
    { service: { pid: 'host' }, path: 'services.svc.pid', msg: 'pid: host is not possible rootless' },
    { service: { ipc: 'host' }, path: 'services.svc.ipc', msg: 'ipc: host is not possible rootless' },
    { service: { oom_score_adj: -500 }, path: 'services.svc.oom_score_adj', msg: 'can only raise it' },
  ])('refuses $service', async ({ service, path: p, msg }) => {
    const { errors } = await rootless(service);
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:rootless', path: p }]);
    expect(errors[0]!.message).toContain(msg);
  });
});

describe('pipeline: ctnr:rootless and the stages after it', () => {
  it('later stages keep linux.resources away (pids_limit, privileged)', async () => {
    const { spec } = await runServiceYaml({ pids_limit: 10, privileged: true }, { env: ROOTLESS, ...withSubids('never') });
    expect(spec.linux!.resources).toBeUndefined();
  });

  it('privileged rootless: ctnr:privileged makes the /sys rbind writable', async () => {
    const { spec } = await runServiceYaml({ privileged: true }, { env: ROOTLESS, ...withSubids('never') });
    expect(spec.mounts!.find((m) => m.destination === '/sys')!.options).not.toContain('ro');
  });
});
