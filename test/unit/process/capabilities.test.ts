import { describe, expect, it } from 'vitest';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { baseSpec } from '../../helpers/plugin-table.js';
import { ALL_CAPABILITIES } from '../../../src/linux/capabilities.js';
import { DOCKER_DEFAULT_CAPS } from '../../../presets/engines/docker.js';
import { capabilitiesPlugin } from '../../../plugins/process/capabilities.js';
import { defaultPreset } from '../../../presets/default.js';

const sorted = (caps: readonly string[]) => [...caps].sort((a, b) => ALL_CAPABILITIES.indexOf(a) - ALL_CAPABILITIES.indexOf(b));
const defaults = sorted(DOCKER_DEFAULT_CAPS);
const without = (list: string[], ...caps: string[]) => list.filter((c) => !caps.includes(c));
/** What ctnr:user writes for `user: "1000"` without a rootfs (it runs before ctnr:capabilities). */
const nonRoot = () => baseSpec((s) => { s.process!.user = { uid: 1000, gid: 0 }; });

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
    const r = await testPluginYaml(capabilitiesPlugin(), service);
    expect(r.errors).toEqual([]);
    // One op replaces the base spec's whole set: three sets, no inheritable or ambient (docker, CVE-2022-24769).
    expect(r.ops).toEqual([{ op: 'replace', path: '/process/capabilities', value: { bounding, effective: bounding, permitted: bounding } }]);
    const caps = r.spec!.process!.capabilities!;
    expect(caps.bounding).toEqual(bounding);
    expect(caps.effective).toEqual(bounding);
    expect(caps.permitted).toEqual(bounding);
    expect(caps.inheritable).toBeUndefined();
    expect(caps.ambient).toBeUndefined();
    // independent arrays: no aliasing between the sets (the original ctnr's ALL bug)
    expect(caps.effective).not.toBe(caps.bounding);
  });

  it.each([
    { what: 'docker: a non-root user keeps the bounding set but has no effective or permitted caps', options: {}, expected: { effective: [], permitted: [], inheritable: undefined, ambient: undefined } },
    { what: 'podman-style option: a non-root user keeps its cap_add caps as ambient', options: { ambientForNonRoot: true }, expected: { effective: ['CAP_NET_ADMIN'], permitted: ['CAP_NET_ADMIN'], inheritable: ['CAP_NET_ADMIN'], ambient: ['CAP_NET_ADMIN'] } },
  ])('$what', async ({ options, expected }) => {
    const r = await testPluginYaml(capabilitiesPlugin(options), { user: '1000', cap_add: ['NET_ADMIN'] }, { spec: nonRoot() });
    expect(r.errors).toEqual([]);
    const caps = r.spec!.process!.capabilities!;
    expect(caps.bounding).toContain('CAP_NET_ADMIN');
    expect(caps).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)));
    for (const [k, v] of Object.entries(expected)) if (v === undefined) expect(caps).not.toHaveProperty(k);
  });

  it('ALL is limited to the host bounding set when known, with a warning naming what was left out', async () => {
    const host = without([...ALL_CAPABILITIES], 'CAP_SYS_RESOURCE');
    const r = await testPluginYaml(capabilitiesPlugin(), { cap_add: ['ALL'] }, { env: { hostCapabilities: host } });
    expect(r.spec!.process!.capabilities!.bounding).toEqual(host);
    expect(r.diagnostics).toMatchObject([{ level: 'warning', plugin: 'ctnr:capabilities', path: 'services.svc.cap_add' }]);
    expect(r.diagnostics[0]!.message).toMatch(/left out CAP_SYS_RESOURCE/);
  });

  it('custom default set through options', async () => {
    const r = await testPluginYaml(capabilitiesPlugin({ defaults: ['chown', 'KILL'] }), {});
    expect(r.spec!.process!.capabilities!.bounding).toEqual(['CAP_CHOWN', 'CAP_KILL']);
  });

  it.each([
    { service: { cap_add: ['NET_ADMN'] }, path: 'services.svc.cap_add[0]', msg: 'unknown capability "NET_ADMN"' },
    { service: { cap_drop: ['CHOWN', 'CAP_CAP_KILL'] }, path: 'services.svc.cap_drop[1]', msg: 'unknown capability "CAP_CAP_KILL"' },
  ])('$msg', async ({ service, path, msg }) => {
    const { errors } = await testPluginYaml(capabilitiesPlugin(), service);
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', path, plugin: 'ctnr:capabilities', location: { file: 'compose.yaml' } }]);
    expect(errors[0]!.message).toBe(msg);
  });

  it('bad factory options name the plugin', () => {
    expect(() => capabilitiesPlugin({ defaults: 'CHOWN' as never })).toThrow(expect.objectContaining({ code: 'PLUGIN_OPTIONS', plugin: 'ctnr:capabilities' }));
  });
});

describe('pipeline: ctnr:user before ctnr:capabilities, and the preset\'s options', () => {
  // The tables above give the user ctnr:user would write; these show it does, and that defaultPreset's
  // `capabilities` options reach the plugin.
  it('a non-root user keeps the bounding set but has no effective or permitted caps (docker)', async () => {
    const caps = (await runServiceYaml({ user: '1000', cap_add: ['NET_ADMIN'] })).spec.process!.capabilities!;
    expect(caps.bounding).toContain('CAP_NET_ADMIN');
    expect(caps.effective).toEqual([]);
    expect(caps.permitted).toEqual([]);
  });

  it('podman-style option through defaultPreset: a non-root user keeps its cap_add caps as ambient', async () => {
    const preset = defaultPreset({ capabilities: { ambientForNonRoot: true } });
    const caps = (await runServiceYaml({ user: '1000', cap_add: ['NET_ADMIN'] }, { presets: [preset] })).spec.process!.capabilities!;
    expect(caps).toMatchObject({ effective: ['CAP_NET_ADMIN'], permitted: ['CAP_NET_ADMIN'], inheritable: ['CAP_NET_ADMIN'], ambient: ['CAP_NET_ADMIN'] });
  });

  it('custom default set through defaultPreset', async () => {
    const preset = defaultPreset({ capabilities: { defaults: ['chown', 'KILL'] } });
    expect((await runServiceYaml({}, { presets: [preset] })).spec.process!.capabilities!.bounding).toEqual(['CAP_CHOWN', 'CAP_KILL']);
  });
});
