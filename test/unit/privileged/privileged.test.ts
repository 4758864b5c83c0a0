import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES } from '../../../src/linux/capabilities.js';
import { privilegedPlugin } from '../../../plugins/privileged/privileged.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { DOCKER_DEFAULT_CAPS } from '../../../presets/engines/docker.js';
import { runServiceYaml, serviceError, testPluginYaml } from '../../helpers/engine.js';
import { baseSpec } from '../../helpers/plugin-table.js';
import { definePlugin } from '../../../src/engine/define.js';
import { ops } from '../../../src/engine/patch.js';
import type { Spec } from '../../../src/spec/types.js';
import type { Env } from '../../../src/engine/types.js';

const isRoot = process.getuid?.() === 0;
const privileged = (service: Record<string, unknown>, options: { spec?: Spec; env?: Partial<Env> } = {}) =>
  testPluginYaml(privilegedPlugin(), { privileged: true, ...service }, options);

describe('ctnr:privileged', () => {
  it('not privileged: nothing changes', async () => {
    const r = await testPluginYaml(privilegedPlugin(), { privileged: false });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(r.spec).toEqual(createBaseSpec());
    expect(r.spec!.process!.capabilities!.bounding).toHaveLength(DOCKER_DEFAULT_CAPS.length);
  });

  it('replaces every value it owns: caps, masks, /sys, device rules, labels', async () => {
    // What the process stage leaves for cap_drop: [CHOWN] and label=type:foo_t.
    const spec = baseSpec((s) => {
      const caps = DOCKER_DEFAULT_CAPS.filter((c) => c !== 'CAP_CHOWN');
      s.process!.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
      s.process!.selinuxLabel = 'system_u:system_r:foo_t:s0';
    });
    const r = await privileged({ cap_drop: ['CHOWN'], security_opt: ['label=type:foo_t'] }, { spec });
    expect(r.errors).toEqual([]);
    const sys = spec.mounts!.findIndex((m) => m.destination === '/sys');
    expect(r.ops).toEqual([
      { op: 'replace', path: '/process/capabilities', value: { bounding: [...ALL_CAPABILITIES], effective: [...ALL_CAPABILITIES], permitted: [...ALL_CAPABILITIES] } },
      { op: 'remove', path: '/linux/maskedPaths' },
      { op: 'remove', path: '/linux/readonlyPaths' },
      { op: 'replace', path: `/mounts/${sys}/options`, value: ['nosuid', 'noexec', 'nodev'] },
      { op: 'replace', path: '/linux/resources/devices', value: [{ allow: true, access: 'rwm' }] },
      { op: 'remove', path: '/process/selinuxLabel' },
    ]);
    const caps = r.spec!.process!.capabilities!;
    expect(caps.bounding).toEqual([...ALL_CAPABILITIES]);
    expect(caps.effective).toEqual([...ALL_CAPABILITIES]);
    expect(caps.permitted).toEqual([...ALL_CAPABILITIES]);
    expect(r.spec!.linux!.maskedPaths).toBeUndefined();
    expect(r.spec!.linux!.readonlyPaths).toBeUndefined();
    expect(r.spec!.mounts!.find((m) => m.destination === '/sys')!.options).toEqual(['nosuid', 'noexec', 'nodev']);
    expect(r.spec!.linux!.resources!.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(r.spec!.process!.selinuxLabel).toBeUndefined();
    expect(r.diagnostics).toMatchObject([{ level: 'warning', plugin: 'ctnr:privileged', path: 'services.svc.cap_drop', message: 'cap_drop has no effect with privileged: true (docker semantics)' }]);
  });

  it('limits caps to the host bounding set, with a warning naming the ones left out', async () => {
    const host = ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE' && c !== 'CAP_BPF');
    const r = await privileged({}, { env: { hostCapabilities: host } });
    expect(r.spec!.process!.capabilities!.bounding).toEqual(host);
    expect(r.diagnostics).toMatchObject([{ level: 'warning', plugin: 'ctnr:privileged', path: 'services.svc.privileged' }]);
    expect(r.diagnostics[0]!.message).toMatch(/left out CAP_SYS_RESOURCE, CAP_BPF/);
  });

  it('a non-root user keeps empty effective/permitted sets (docker)', async () => {
    // What ctnr:user and ctnr:capabilities leave for user: "1000".
    const spec = baseSpec((s) => {
      s.process!.user = { uid: 1000, gid: 0 };
      s.process!.capabilities = { bounding: [...DOCKER_DEFAULT_CAPS], effective: [], permitted: [] };
    });
    const caps = (await privileged({ user: '1000' }, { spec })).spec!.process!.capabilities!;
    expect(caps.bounding).toEqual([...ALL_CAPABILITIES]);
    expect(caps.effective).toEqual([]);
    expect(caps.permitted).toEqual([]);
  });

  it('a read-only root stays read-only and /sys still becomes writable (docker clears ro on /sys for privileged)', async () => {
    // What ctnr:read-only leaves for read_only: true (/sys already had ro).
    const r = await privileged({ read_only: true }, { spec: baseSpec((s) => { s.root!.readonly = true; }) });
    expect(r.spec!.mounts!.find((m) => m.destination === '/sys')!.options).not.toContain('ro');
    expect(r.spec!.root!.readonly).toBe(true);
  });

  it.each([
    { what: 'a profile set by a preset becomes unconfined', security_opt: [], before: 'docker-default', profile: 'unconfined', op: [{ op: 'replace', path: '/process/apparmorProfile', value: 'unconfined' }] },
    { what: 'a profile the user chose stays', security_opt: ['apparmor=my-profile'], before: 'my-profile', profile: 'my-profile', op: [] },
    { what: 'unconfined already: nothing to write', security_opt: [], before: 'unconfined', profile: 'unconfined', op: [] },
  ])('apparmor: $what', async ({ security_opt, before, profile, op }) => {
    const r = await privileged({ security_opt }, { spec: baseSpec((s) => { s.process!.apparmorProfile = before; }) });
    expect(r.ops.filter((o) => o.path === '/process/apparmorProfile')).toEqual(op);
    expect(r.spec!.process!.apparmorProfile).toBe(profile);
  });

  it('without any AppArmor profile nothing is written (runc fails on "unconfined" where AppArmor is off)', async () => {
    const r = await privileged({});
    expect(r.ops.some((o) => o.path.startsWith('/process/apparmorProfile'))).toBe(false);
    expect(r.spec!.process!.apparmorProfile).toBeUndefined();
  });

  it('seccomp is not its concern: nothing written under /linux/seccomp', async () => {
    const r = await privileged({});
    expect(r.ops.some((o) => o.path.startsWith('/linux/seccomp'))).toBe(false);
    expect(r.spec!.linux!.seccomp).toBeUndefined();
  });

  it('a rootless spec (no linux.resources, /sys an ro rbind): no device rules, /sys writable', async () => {
    const spec = baseSpec((s) => {
      delete s.linux!.resources;
      s.mounts = s.mounts!.map((m) => (m.destination === '/sys' ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] } : m));
    });
    const r = await privileged({}, { spec, env: { rootless: true, uid: 1000, gid: 1000 } });
    expect(r.errors).toEqual([]);
    expect(r.spec!.linux!.resources).toBeUndefined();
    expect(r.spec!.mounts!.find((m) => m.destination === '/sys')!.options).toEqual(['rbind', 'nosuid', 'noexec', 'nodev']);
  });

  describe.skipIf(!isRoot)('host devices', () => {
    let dev: string;
    beforeAll(() => {
      dev = mkdtempSync(path.join(os.tmpdir(), 'ctnr-dev-'));
      execFileSync('mknod', [path.join(dev, 'null'), 'c', '1', '3']);
      execFileSync('mkdir', ['-p', path.join(dev, 'pts'), path.join(dev, 'net')]);
      execFileSync('mknod', [path.join(dev, 'pts', '0'), 'c', '136', '0']);
      execFileSync('mknod', [path.join(dev, 'net', 'tun'), 'c', '10', '200']);
      execFileSync('mknod', [path.join(dev, 'loop0'), 'b', '7', '0']);
      execFileSync('mknod', [path.join(dev, 'console'), 'c', '5', '1']);
    });
    afterAll(() => rmSync(dev, { recursive: true, force: true }));

    const run = (hostDevices: 'auto' | 'always' | 'never', env = {}) => testPluginYaml(privilegedPlugin({ hostDevices, devDir: dev }), { privileged: true }, { env });

    it('lists device nodes (not pts, not console), sorted, at /dev paths', async () => {
      const { spec } = await run('always');
      expect(spec!.linux!.devices!.map((d) => [d.path, d.type, d.major, d.minor])).toEqual([
        ['/dev/loop0', 'b', 7, 0],
        ['/dev/net/tun', 'c', 10, 200],
        ['/dev/null', 'c', 1, 3],
      ]);
    });

    it('a device already in the spec keeps its entry', async () => {
      const mine = { path: '/dev/null', type: 'c' as const, major: 1, minor: 3, fileMode: 0o600, uid: 0, gid: 0 };
      const r = await testPluginYaml(privilegedPlugin({ hostDevices: 'always', devDir: dev }), { privileged: true }, { spec: baseSpec((s) => { s.linux!.devices = [{ ...mine }]; }) });
      expect(r.spec!.linux!.devices!.filter((d) => d.path === '/dev/null')).toEqual([mine]);
    });

    it.each([
      { hostDevices: 'never' as const, env: { hostCapabilities: [...ALL_CAPABILITIES] }, listed: false },
      { hostDevices: 'auto' as const, env: {}, listed: false },
      { hostDevices: 'auto' as const, env: { hostCapabilities: [...ALL_CAPABILITIES] }, listed: true },
    ])('hostDevices $hostDevices with $env', async ({ hostDevices, env, listed }) => {
      const { spec } = await run(hostDevices, env);
      expect((spec!.linux!.devices ?? []).length > 0).toBe(listed);
    });
  });

  it('bad options name the plugin', () => {
    expect(() => privilegedPlugin({ hostDevices: 'sometimes' as never })).toThrow(/hostDevices/);
  });
});

describe('pipeline: ctnr:privileged among the other stages', () => {
  it('replaces what the process stage wrote: cap_drop, label, masks, /sys, device rules', async () => {
    const { spec, diagnostics } = await runServiceYaml({ privileged: true, cap_drop: ['CHOWN'], security_opt: ['label=type:foo_t'] });
    const caps = spec.process!.capabilities!;
    expect(caps.bounding).toEqual([...ALL_CAPABILITIES]);
    expect(caps.effective).toEqual([...ALL_CAPABILITIES]);
    expect(caps.permitted).toEqual([...ALL_CAPABILITIES]);
    expect(spec.linux!.maskedPaths).toBeUndefined();
    expect(spec.linux!.readonlyPaths).toBeUndefined();
    expect(spec.mounts!.find((m) => m.destination === '/sys')!.options).toEqual(['nosuid', 'noexec', 'nodev']);
    expect(spec.linux!.resources!.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(spec.process!.selinuxLabel).toBeUndefined();
    expect(diagnostics.map((d) => d.message)).toContain('cap_drop has no effect with privileged: true (docker semantics)');
  });

  it('with read_only, /sys still becomes writable after ctnr:read-only (docker clears ro on /sys for privileged)', async () => {
    const { spec } = await runServiceYaml({ privileged: true, read_only: true });
    expect(spec.mounts!.find((m) => m.destination === '/sys')!.options).not.toContain('ro');
    expect(spec.root!.readonly).toBe(true);
  });

  it.each([
    { what: 'a profile set by a preset becomes unconfined', security_opt: [], profile: 'unconfined' },
    { what: 'a profile the user chose stays', security_opt: ['apparmor=my-profile'], profile: 'my-profile' },
  ])('apparmor from an earlier stage: $what', async ({ security_opt, profile }) => {
    // a preset-like plugin that sets a default AppArmor profile before the privileged stage
    const preset = definePlugin({ name: 'test:apparmor-default', stage: 'mounts', apply: ({ spec, service }) => (service.security_opt?.length ? [] : [ops.set(spec, '/process/apparmorProfile', 'docker-default')]) });
    const { spec } = await runServiceYaml({ privileged: true, security_opt }, { plugins: [preset] });
    expect(spec.process!.apparmorProfile).toBe(profile);
  });

  it('seccomp is left to the seccomp stage, which sees privileged and stays unconfined', async () => {
    expect((await runServiceYaml({ privileged: true })).spec.linux!.seccomp).toBeUndefined();
  });

  it('unknown security options still fail in the process stage', async () => {
    expect((await serviceError({ privileged: true, security_opt: ['bogus=1'] })).plugin).toBe('ctnr:security-opt');
  });
});
