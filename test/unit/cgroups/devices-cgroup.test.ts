import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { runCompose, testPluginYaml } from '../../helpers/engine.js';
import { baseSpec } from '../../helpers/plugin-table.js';
import { devicesPlugin } from '../../../plugins/cgroups/devices.js';
import { deviceCgroupRulesPlugin } from '../../../plugins/cgroups/device-cgroup-rules.js';
import { cgroupsPathPlugin } from '../../../plugins/cgroups/cgroups-path.js';
import { cgroupNamespacePlugin } from '../../../plugins/cgroups/cgroup-namespace.js';
import { cgroupMountPlugin } from '../../../plugins/cgroups/cgroup-mount.js';

const baseRules = createBaseSpec().linux!.resources!.devices!;
/** What ctnr:privileged leaves: every device allowed. */
const allowAll = () => baseSpec((s) => { s.linux!.resources!.devices = [{ allow: true, access: 'rwm' }]; });
/** What ctnr:rootless leaves: no linux.resources. */
const noResources = () => baseSpec((s) => { delete s.linux!.resources; });
const ROOTLESS = { rootless: true, uid: 1000, gid: 1000 };

describe.skipIf(!existsSync('/dev/null') || !existsSync('/dev/net/tun'))('ctnr:devices', () => {
  it.each([
    { what: 'same path, default permissions', devices: ['/dev/null'], nodes: [{ path: '/dev/null', type: 'c', major: 1, minor: 3 }], rules: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] },
    { what: 'renamed with permissions', devices: ['/dev/null:/dev/mynull:r'], nodes: [{ path: '/dev/mynull', type: 'c', major: 1, minor: 3 }], rules: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }] },
    { what: 'long form', devices: [{ source: '/dev/null', target: '/dev/x', permissions: 'rw' }], nodes: [{ path: '/dev/x', type: 'c', major: 1, minor: 3 }], rules: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] },
    { what: 'a directory maps every node below it', devices: ['/dev/net:/dev/net2'], nodes: [{ path: '/dev/net2/tun', type: 'c', major: 10, minor: 200 }], rules: [{ allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }] },
  ])('$what', async ({ devices, nodes, rules }) => {
    const r = await testPluginYaml(devicesPlugin(), { devices });
    expect(r.errors).toEqual([]);
    const node = (n: object) => expect.objectContaining({ ...n, fileMode: expect.any(Number), uid: expect.any(Number), gid: expect.any(Number) });
    // The base spec has the deny-all rules but no linux.devices: one op creates the list, one per node and rule.
    expect(r.ops).toEqual([
      { op: 'add', path: '/linux/devices', value: [] },
      ...nodes.map((n) => ({ op: 'add', path: '/linux/devices/-', value: node(n) })),
      ...rules.map((rule) => ({ op: 'add', path: '/linux/resources/devices/-', value: rule })),
    ]);
    expect(r.spec!.linux!.devices).toEqual(nodes.map(node));
    expect(r.spec!.linux!.resources!.devices).toEqual([...baseRules, ...rules]);
  });

  it.each([
    { device: '/dev/does-not-exist', msg: 'does not exist on this host' },
    { device: '/etc/hostname:/dev/x', msg: 'is not a device' },
    // Walking a directory outside /dev would walk the host (the fuzzer's `//` took seconds and mapped every node).
    { device: '//', msg: 'is a directory outside /dev' },
    { device: '/:/dev/all', msg: 'is a directory outside /dev' },
    { device: '/dev', msg: 'is a directory outside /dev' },
    { device: '/dev/../etc:/dev/etc', msg: 'is a directory outside /dev' },
  ])('refuses $device', async ({ device, msg }) => {
    const { errors } = await testPluginYaml(devicesPlugin(), { devices: ['/dev/null', device] });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:devices', path: 'services.svc.devices[1]' }]);
    expect(errors[0]!.message).toContain(msg);
  });

  it('a device already in the spec at that path is replaced in place', async () => {
    const spec = baseSpec((s) => { s.linux!.devices = [{ path: '/dev/n', type: 'c', major: 5, minor: 5 }]; });
    const r = await testPluginYaml(devicesPlugin(), { devices: ['/dev/null:/dev/n'] }, { spec });
    expect(r.ops[0]).toMatchObject({ op: 'replace', path: '/linux/devices/0' });
    expect(r.spec!.linux!.devices).toMatchObject([{ path: '/dev/n', major: 1, minor: 3 }]);
  });

  it('privileged: the device node is added but no rule (everything is allowed already)', async () => {
    const r = await testPluginYaml(devicesPlugin(), { privileged: true, devices: ['/dev/null:/dev/n'] }, { spec: allowAll() });
    expect(r.spec!.linux!.resources!.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(r.spec!.linux!.devices!.filter((d) => d.path === '/dev/n')).toHaveLength(1);
  });

  it('rootless: nodes stay (runc bind-mounts them), rules go', async () => {
    const r = await testPluginYaml(devicesPlugin(), { devices: ['/dev/null'] }, { env: ROOTLESS, spec: noResources() });
    expect(r.errors).toEqual([]);
    expect(r.spec!.linux!.devices!.map((d) => d.path)).toEqual(['/dev/null']);
    expect(r.spec!.linux!.resources).toBeUndefined();
  });
});

describe('ctnr:device-cgroup-rules', () => {
  it.each([
    { rule: 'c 1:3 mr', expected: { allow: true, type: 'c', major: 1, minor: 3, access: 'mr' } },
    { rule: 'b 8:* rw', expected: { allow: true, type: 'b', major: 8, access: 'rw' } },
    { rule: 'a *:* rwm', expected: { allow: true, type: 'a', access: 'rwm' } },
  ])('$rule', async ({ rule, expected }) => {
    const r = await testPluginYaml(deviceCgroupRulesPlugin(), { device_cgroup_rules: [rule] });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([{ op: 'add', path: '/linux/resources/devices/-', value: expected }]);
    expect(r.spec!.linux!.resources!.devices).toEqual([...baseRules, expected]);
  });

  it.each(['c 1:3', 'x 1:3 r', 'c 1:3 rr', 'c a:b r'])('refuses "%s"', async (rule) => {
    const { errors } = await testPluginYaml(deviceCgroupRulesPlugin(), { device_cgroup_rules: [rule] });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:device-cgroup-rules', path: 'services.svc.device_cgroup_rules[0]' }]);
  });

  it('rootless: no rules, a warning at the key', async () => {
    const r = await testPluginYaml(deviceCgroupRulesPlugin(), { device_cgroup_rules: ['c 1:3 r'] }, { env: ROOTLESS, spec: noResources() });
    expect(r.ops).toEqual([]);
    expect(r.diagnostics).toMatchObject([{ level: 'warning', path: 'services.svc.device_cgroup_rules', message: expect.stringMatching(/rootless container cannot set cgroup limits/) }]);
  });
});

describe('ctnr:cgroups-path', () => {
  it.each([
    { service: { cgroup_parent: 'ctnr' }, env: {}, path: '/ctnr/ctnr-test-project-svc-1' },
    { service: { cgroup_parent: '/a/b', container_name: 'web' }, env: {}, path: '/a/b/web' },
    { service: { cgroup_parent: 'p' }, env: { containerId: 'abc' }, path: '/p/abc' },
  ])('$service $env → $path', async ({ service, env, path }) => {
    const r = await testPluginYaml(cgroupsPathPlugin(), service, { env });
    expect(r.ops).toEqual([{ op: 'add', path: '/linux/cgroupsPath', value: path }]);
    expect(r.spec!.linux!.cgroupsPath).toBe(path);
  });

  it('no cgroup_parent: the runtime chooses', async () => {
    const r = await testPluginYaml(cgroupsPathPlugin(), {});
    expect(r.ops).toEqual([]);
    expect(r.spec!.linux!.cgroupsPath).toBeUndefined();
  });

  it('refuses ".."', async () => {
    const { errors } = await testPluginYaml(cgroupsPathPlugin(), { cgroup_parent: '../x' });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:cgroups-path', path: 'services.svc.cgroup_parent' }]);
  });

  it('rootless: no path, a warning at the key', async () => {
    const r = await testPluginYaml(cgroupsPathPlugin(), { cgroup_parent: 'x' }, { env: ROOTLESS });
    expect(r.ops).toEqual([]);
    expect(r.diagnostics).toMatchObject([{ level: 'warning', path: 'services.svc.cgroup_parent' }]);
  });
});

describe('ctnr:cgroup-namespace', () => {
  /** The base spec with a cgroup namespace at the end (as `cgroup: private` left it, or a preset). */
  const withCgroupNs = () => baseSpec((s) => { s.linux!.namespaces!.push({ type: 'cgroup' }); });
  it.each([
    { cgroup: 'private', before: false, has: true, ops: [{ op: 'add', path: '/linux/namespaces/-', value: { type: 'cgroup' } }] },
    { cgroup: 'host', before: false, has: false, ops: [] },
    { cgroup: undefined, before: false, has: false, ops: [] },
    { cgroup: 'private', before: true, has: true, ops: [] },
    { cgroup: 'host', before: true, has: false, ops: [{ op: 'remove', path: '/linux/namespaces/5' }] },
  ])('cgroup: $cgroup (a cgroup namespace before: $before)', async ({ cgroup, before, has, ops }) => {
    const r = await testPluginYaml(cgroupNamespacePlugin(), cgroup ? { cgroup } : {}, before ? { spec: withCgroupNs() } : {});
    expect(r.ops).toEqual(ops);
    expect(r.spec!.linux!.namespaces!.some((n) => n.type === 'cgroup')).toBe(has);
  });
});

describe('ctnr:cgroup-mount', () => {
  const cgroupMount = async (service: Record<string, unknown>, options = {}) =>
    (await testPluginYaml(cgroupMountPlugin(options), service)).spec!.mounts!.find((m) => m.destination === '/sys/fs/cgroup');
  it.each([
    { what: 'read-only by default', service: {}, options: {}, mode: 'ro' },
    { what: 'read-write when privileged', service: { privileged: true }, options: {}, mode: 'rw' },
    { what: 'read-only root wins over privileged (docker)', service: { privileged: true, read_only: true }, options: {}, mode: 'ro' },
    { what: 'mode: rw forces it', service: {}, options: { mode: 'rw' as const }, mode: 'rw' },
    { what: 'mode: ro forces it', service: { privileged: true }, options: { mode: 'ro' as const }, mode: 'ro' },
  ])('$what', async ({ service, options, mode }) => {
    expect(await cgroupMount(service, options)).toEqual({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', mode] });
  });

  it('mode: none writes nothing', async () => {
    expect((await testPluginYaml(cgroupMountPlugin({ mode: 'none' }), {})).ops).toEqual([]);
  });

  it('a user mount at /sys/fs/cgroup is left alone', async () => {
    // What ctnr:tmpfs / ctnr:volumes leave for a tmpfs volume at /sys/fs/cgroup.
    const spec = baseSpec((s) => { s.mounts!.push({ destination: '/sys/fs/cgroup', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec'] }); });
    const r = await testPluginYaml(cgroupMountPlugin(), {}, { spec });
    expect(r.ops).toEqual([]);
    expect(r.spec!.mounts!.find((m) => m.destination === '/sys/fs/cgroup')!.type).toBe('tmpfs');
  });
});

describe('pipeline: the cgroups stage after mounts and privileged', () => {
  it('privileged: ctnr:devices adds the node but no rule after ctnr:privileged allowed everything', async () => {
    const { spec } = await runCompose({ privileged: true, devices: ['/dev/null:/dev/n'] });
    expect(spec.linux!.resources!.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(spec.linux!.devices!.filter((d) => d.path === '/dev/n')).toHaveLength(1);
  });

  it('a tmpfs volume at /sys/fs/cgroup (mounts stage) is left alone by ctnr:cgroup-mount', async () => {
    const m = (await runCompose({ volumes: [{ type: 'tmpfs', target: '/sys/fs/cgroup' }] })).spec.mounts!.filter((x) => x.destination === '/sys/fs/cgroup');
    expect(m.map((x) => x.type)).toEqual(['tmpfs']);
  });
});
