import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES } from '../../../src/linux/capabilities.js';
import { createEngine } from '../../../src/create-engine.js';
import { privilegedPlugin } from '../../../plugins/privileged/privileged.js';
import { defaultPreset } from '../../../presets/default.js';
import { DOCKER_DEFAULT_CAPS } from '../../../presets/engines/docker.js';
import { runServiceYaml, serviceError, TEST_ENV } from '../../helpers/engine.js';
import { definePlugin } from '../../../src/engine/define.js';
import { ops } from '../../../src/engine/patch.js';

const isRoot = process.getuid?.() === 0;

describe('ctnr:privileged', () => {
  it('not privileged: nothing changes', async () => {
    const result = await runServiceYaml({ privileged: false });
    expect(result.trace.some((t) => t.plugin === 'ctnr:privileged')).toBe(false);
    expect(result.spec.process!.capabilities!.bounding).toHaveLength(DOCKER_DEFAULT_CAPS.length);
  });

  it('replaces every value it owns: caps, masks, /sys, device rules, labels', async () => {
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

  it('limits caps to the host bounding set, with a warning naming the ones left out', async () => {
    const host = ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE' && c !== 'CAP_BPF');
    const { spec, diagnostics } = await runServiceYaml({ privileged: true }, { env: { hostCapabilities: host } });
    expect(spec.process!.capabilities!.bounding).toEqual(host);
    expect(diagnostics.find((d) => d.plugin === 'ctnr:privileged')!.message).toMatch(/left out CAP_SYS_RESOURCE, CAP_BPF/);
  });

  it('a non-root user keeps empty effective/permitted sets (docker)', async () => {
    const caps = (await runServiceYaml({ privileged: true, user: '1000' })).spec.process!.capabilities!;
    expect(caps.bounding).toEqual([...ALL_CAPABILITIES]);
    expect(caps.effective).toEqual([]);
    expect(caps.permitted).toEqual([]);
  });

  it('with read_only, /sys still becomes writable (docker clears ro on /sys for privileged)', async () => {
    const { spec } = await runServiceYaml({ privileged: true, read_only: true });
    expect(spec.mounts!.find((m) => m.destination === '/sys')!.options).not.toContain('ro');
    expect(spec.root!.readonly).toBe(true);
  });

  it.each([
    { what: 'a profile set by a preset becomes unconfined', security_opt: [], profile: 'unconfined' },
    { what: 'a profile the user chose stays', security_opt: ['apparmor=my-profile'], profile: 'my-profile' },
  ])('apparmor: $what', async ({ security_opt, profile }) => {
    // a preset-like plugin that sets a default AppArmor profile before the privileged stage
    const preset = definePlugin({ name: 'test:apparmor-default', stage: 'mounts', apply: ({ spec, service }) => (service.security_opt?.length ? [] : [ops.set(spec, '/process/apparmorProfile', 'docker-default')]) });
    const { spec } = await runServiceYaml({ privileged: true, security_opt }, { plugins: [preset] });
    expect(spec.process!.apparmorProfile).toBe(profile);
  });

  it('without any AppArmor profile nothing is written (runc fails on "unconfined" where AppArmor is off)', async () => {
    expect((await runServiceYaml({ privileged: true })).spec.process!.apparmorProfile).toBeUndefined();
  });

  it('seccomp is left to the seccomp stage, which sees privileged and stays unconfined', async () => {
    expect((await runServiceYaml({ privileged: true })).spec.linux!.seccomp).toBeUndefined();
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

    const run = async (hostDevices: 'auto' | 'always' | 'never', env = {}) => {
      const engine = createEngine({ presets: [defaultPreset()], plugins: [{ ...privilegedPlugin({ hostDevices, devDir: dev }), replace: true }], strict: true });
      return engine.run({ name: 'svc', service: { privileged: true, command: ['true'] } }, { ...TEST_ENV, ...env });
    };

    it('lists device nodes (not pts, not console), sorted, at /dev paths', async () => {
      const { spec } = await run('always');
      expect(spec.linux!.devices!.map((d) => [d.path, d.type, d.major, d.minor])).toEqual([
        ['/dev/loop0', 'b', 7, 0],
        ['/dev/net/tun', 'c', 10, 200],
        ['/dev/null', 'c', 1, 3],
      ]);
    });

    it.each([
      { hostDevices: 'never' as const, env: { hostCapabilities: [...ALL_CAPABILITIES] }, listed: false },
      { hostDevices: 'auto' as const, env: {}, listed: false },
      { hostDevices: 'auto' as const, env: { hostCapabilities: [...ALL_CAPABILITIES] }, listed: true },
    ])('hostDevices $hostDevices with $env', async ({ hostDevices, env, listed }) => {
      const { spec } = await run(hostDevices, env);
      expect((spec.linux!.devices ?? []).length > 0).toBe(listed);
    });
  });

  it('bad options name the plugin', () => {
    expect(() => privilegedPlugin({ hostDevices: 'sometimes' as never })).toThrow(/hostDevices/);
  });

  it('unknown security options still fail in the process stage', async () => {
    expect((await serviceError({ privileged: true, security_opt: ['bogus=1'] })).plugin).toBe('ctnr:security-opt');
  });
});
