import { describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';
import { ALL_CAPABILITIES } from '../../../src/linux/capabilities.js';
import { DOCKER_DEFAULT_CAPS } from '../../../presets/engines/docker.js';
import { capabilitiesPlugin } from '../../../plugins/process/capabilities.js';
import { defaultPreset } from '../../../presets/default.js';

const sorted = (caps: readonly string[]) => [...caps].sort((a, b) => ALL_CAPABILITIES.indexOf(a) - ALL_CAPABILITIES.indexOf(b));
const defaults = sorted(DOCKER_DEFAULT_CAPS);
const without = (list: string[], ...caps: string[]) => list.filter((c) => !caps.includes(c));

describe('ctnr:capabilities (docker TweakCapabilities semantics)', () => {
  it.each([
    { what: 'defaults', service: {}, bounding: defaults },
    { what: 'add in any case and with or without CAP_', service: { cap_add: ['net_admin', 'CAP_SYS_TIME', 'Sys_Ptrace'] }, bounding: sorted([...defaults, 'CAP_NET_ADMIN', 'CAP_SYS_TIME', 'CAP_SYS_PTRACE']) },
    { what: 'drop', service: { cap_drop: ['MKNOD', 'cap_net_raw'] }, bounding: without(defaults, 'CAP_MKNOD', 'CAP_NET_RAW') },
    { what: 'add ALL minus drops', service: { cap_add: ['all'], cap_drop: ['NET_ADMIN', 'SYS_ADMIN'] }, bounding: without([...ALL_CAPABILITIES], 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN') },
    { what: 'drop ALL keeps only adds', service: { cap_drop: ['ALL'], cap_add: ['NET_BIND_SERVICE'] }, bounding: ['CAP_NET_BIND_SERVICE'] },
    { what: 'drop ALL alone', service: { cap_drop: ['ALL'] }, bounding: [] },
    { what: 'adding a default again does not duplicate', service: { cap_add: ['CHOWN'] }, bounding: defaults },
    { what: 'newest kernel caps are known', service: { cap_add: ['PERFMON', 'BPF', 'CHECKPOINT_RESTORE'] }, bounding: sorted([...defaults, 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE']) },
  ])('$what', async ({ service, bounding }) => {
    const caps = (await runServiceYaml(service)).spec.process!.capabilities!;
    expect(caps.bounding).toEqual(bounding);
    expect(caps.effective).toEqual(bounding);
    expect(caps.permitted).toEqual(bounding);
    // docker sets no inheritable or ambient caps (CVE-2022-24769)
    expect(caps.inheritable).toBeUndefined();
    expect(caps.ambient).toBeUndefined();
    // independent arrays: no aliasing between the sets (the original ctnr's ALL bug)
    expect(caps.effective).not.toBe(caps.bounding);
  });

  it('a non-root user keeps the bounding set but has no effective or permitted caps (docker)', async () => {
    const caps = (await runServiceYaml({ user: '1000', cap_add: ['NET_ADMIN'] })).spec.process!.capabilities!;
    expect(caps.bounding).toContain('CAP_NET_ADMIN');
    expect(caps.effective).toEqual([]);
    expect(caps.permitted).toEqual([]);
  });

  it('podman-style option: a non-root user keeps its cap_add caps as ambient', async () => {
    const preset = defaultPreset({ capabilities: { ambientForNonRoot: true } });
    const caps = (await runServiceYaml({ user: '1000', cap_add: ['NET_ADMIN'] }, { presets: [preset] })).spec.process!.capabilities!;
    expect(caps).toMatchObject({ effective: ['CAP_NET_ADMIN'], permitted: ['CAP_NET_ADMIN'], inheritable: ['CAP_NET_ADMIN'], ambient: ['CAP_NET_ADMIN'] });
  });

  it('ALL is limited to the host bounding set when known, with a warning naming what was left out', async () => {
    const host = without([...ALL_CAPABILITIES], 'CAP_SYS_RESOURCE');
    const result = await runServiceYaml({ cap_add: ['ALL'] }, { env: { hostCapabilities: host } });
    expect(result.spec.process!.capabilities!.bounding).toEqual(host);
    expect(result.diagnostics.map((d) => d.message).join('\n')).toMatch(/left out CAP_SYS_RESOURCE/);
  });

  it('custom default set through options', async () => {
    const preset = defaultPreset({ capabilities: { defaults: ['chown', 'KILL'] } });
    expect((await runServiceYaml({}, { presets: [preset] })).spec.process!.capabilities!.bounding).toEqual(['CAP_CHOWN', 'CAP_KILL']);
  });

  it.each([
    { service: { cap_add: ['NET_ADMN'] }, path: 'services.svc.cap_add[0]', msg: 'unknown capability "NET_ADMN"' },
    { service: { cap_drop: ['CHOWN', 'CAP_CAP_KILL'] }, path: 'services.svc.cap_drop[1]', msg: 'unknown capability "CAP_CAP_KILL"' },
  ])('$msg', async ({ service, path, msg }) => {
    const err = await serviceError(service);
    expect(err).toMatchObject({ code: 'SERVICE_INVALID', path, plugin: 'ctnr:capabilities' });
    expect(err.message).toBe(msg);
  });

  it('bad factory options name the plugin', () => {
    expect(() => capabilitiesPlugin({ defaults: 'CHOWN' as never })).toThrow(expect.objectContaining({ code: 'PLUGIN_OPTIONS', plugin: 'ctnr:capabilities' }));
  });
});
