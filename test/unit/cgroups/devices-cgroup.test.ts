import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { composeError, runCompose } from '../mounts/compose.js';

const baseRules = createBaseSpec().linux!.resources!.devices!;

describe.skipIf(!existsSync('/dev/null') || !existsSync('/dev/net/tun'))('ctnr:devices', () => {
  it.each([
    { what: 'same path, default permissions', devices: ['/dev/null'], nodes: [{ path: '/dev/null', type: 'c', major: 1, minor: 3 }], rules: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] },
    { what: 'renamed with permissions', devices: ['/dev/null:/dev/mynull:r'], nodes: [{ path: '/dev/mynull', type: 'c', major: 1, minor: 3 }], rules: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }] },
    { what: 'long form', devices: [{ source: '/dev/null', target: '/dev/x', permissions: 'rw' }], nodes: [{ path: '/dev/x', type: 'c', major: 1, minor: 3 }], rules: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] },
    { what: 'a directory maps every node below it', devices: ['/dev/net:/dev/net2'], nodes: [{ path: '/dev/net2/tun', type: 'c', major: 10, minor: 200 }], rules: [{ allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }] },
  ])('$what', async ({ devices, nodes, rules }) => {
    const { spec } = await runCompose({ devices });
    expect(spec.linux!.devices).toEqual(nodes.map((n) => expect.objectContaining({ ...n, fileMode: expect.any(Number), uid: expect.any(Number), gid: expect.any(Number) })));
    expect(spec.linux!.resources!.devices).toEqual([...baseRules, ...rules]);
  });

  it.each([
    { device: '/dev/does-not-exist', msg: 'does not exist on this host' },
    { device: '/etc/hostname:/dev/x', msg: 'is not a device' },
  ])('refuses $device', async ({ device, msg }) => {
    const err = await composeError({ devices: ['/dev/null', device] });
    expect(err.path).toBe('services.svc.devices[1]');
    expect(err.message).toContain(msg);
  });

  it('privileged: the device node is added but no rule (everything is allowed already)', async () => {
    const { spec } = await runCompose({ privileged: true, devices: ['/dev/null:/dev/n'] });
    expect(spec.linux!.resources!.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(spec.linux!.devices!.filter((d) => d.path === '/dev/n')).toHaveLength(1);
  });

  it('rootless: nodes stay (runc bind-mounts them), rules go', async () => {
    const { spec } = await runCompose({ devices: ['/dev/null'] }, {}, { env: { rootless: true, uid: 1000, gid: 1000 } });
    expect(spec.linux!.devices!.map((d) => d.path)).toEqual(['/dev/null']);
    expect(spec.linux!.resources).toBeUndefined();
  });
});

describe('ctnr:device-cgroup-rules', () => {
  it.each([
    { rule: 'c 1:3 mr', expected: { allow: true, type: 'c', major: 1, minor: 3, access: 'mr' } },
    { rule: 'b 8:* rw', expected: { allow: true, type: 'b', major: 8, access: 'rw' } },
    { rule: 'a *:* rwm', expected: { allow: true, type: 'a', access: 'rwm' } },
  ])('$rule', async ({ rule, expected }) => {
    const { spec } = await runCompose({ device_cgroup_rules: [rule] });
    expect(spec.linux!.resources!.devices).toEqual([...baseRules, expected]);
  });

  it.each(['c 1:3', 'x 1:3 r', 'c 1:3 rr', 'c a:b r'])('refuses "%s"', async (rule) => {
    const err = await composeError({ device_cgroup_rules: [rule] });
    expect(err.path).toBe('services.svc.device_cgroup_rules[0]');
  });
});

describe('ctnr:cgroups-path', () => {
  it.each([
    { service: { cgroup_parent: 'ctnr' }, env: {}, path: '/ctnr/ctnr-test-project-svc-1' },
    { service: { cgroup_parent: '/a/b', container_name: 'web' }, env: {}, path: '/a/b/web' },
    { service: { cgroup_parent: 'p' }, env: { containerId: 'abc' }, path: '/p/abc' },
  ])('$service $env → $path', async ({ service, env, path }) => {
    expect((await runCompose(service, {}, { env })).spec.linux!.cgroupsPath).toBe(path);
  });

  it('no cgroup_parent: the runtime chooses', async () => {
    expect((await runCompose({})).spec.linux!.cgroupsPath).toBeUndefined();
  });

  it('refuses ".."', async () => {
    expect((await composeError({ cgroup_parent: '../x' })).path).toBe('services.svc.cgroup_parent');
  });
});

describe('ctnr:cgroup-namespace', () => {
  it.each([
    { cgroup: 'private', has: true },
    { cgroup: 'host', has: false },
    { cgroup: undefined, has: false },
  ])('cgroup: $cgroup', async ({ cgroup, has }) => {
    const { spec } = await runCompose(cgroup ? { cgroup } : {});
    expect(spec.linux!.namespaces!.some((n) => n.type === 'cgroup')).toBe(has);
  });
});

describe('ctnr:cgroup-mount', () => {
  const cgroupMount = async (service: Record<string, unknown>) => (await runCompose(service)).spec.mounts!.find((m) => m.destination === '/sys/fs/cgroup');
  it.each([
    { what: 'read-only by default', service: {}, mode: 'ro' },
    { what: 'read-write when privileged', service: { privileged: true }, mode: 'rw' },
    { what: 'read-only root wins over privileged (docker)', service: { privileged: true, read_only: true }, mode: 'ro' },
  ])('$what', async ({ service, mode }) => {
    expect(await cgroupMount(service)).toEqual({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', mode] });
  });

  it('a user mount at /sys/fs/cgroup is left alone', async () => {
    const m = await cgroupMount({ volumes: [{ type: 'tmpfs', target: '/sys/fs/cgroup' }] });
    expect(m!.type).toBe('tmpfs');
  });
});
