import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROLS } from '../../../src/policy/controls.js';
import type { PolicyMode } from '../../../src/policy/settings.js';
import type { Plugin } from '../../../src/engine/types.js';
import { baselinePreset } from '../../../presets/baseline.js';
import { restrictedPreset } from '../../../presets/restricted.js';
import { REPO } from '../../helpers/shared.js';
import { runPolicy, setPlugin } from './helpers.js';

const PROFILES = path.join(REPO, 'test/fixtures/presets/profiles');

interface Case {
  service: Record<string, unknown>;
  plugins?: Plugin[];
  dir?: string;
}

/**
 * Every control of baseline and restricted with a service that passes it and one that fails it. Services use
 * compose keys as a user writes them; where no compose key produces the value (a non-tmpfs mount type), a
 * small plugin stands in for an organisation's own.
 */
const TABLE: Array<{ control: string; pass: Case; fail: Case }> = [
  { control: 'hostNamespaces', pass: { service: {} }, fail: { service: { pid: 'host' } } },
  { control: 'privileged', pass: { service: {} }, fail: { service: { privileged: true } } },
  { control: 'capabilities', pass: { service: { cap_add: ['CHOWN'], cap_drop: ['MKNOD'] } }, fail: { service: { cap_add: ['SYS_ADMIN'] } } },
  {
    control: 'hostPathVolumes',
    pass: { service: { volumes: [{ type: 'volume', target: '/data' }] } },
    fail: { service: { volumes: [{ type: 'bind', source: '/tmp', target: '/data' }] } },
  },
  { control: 'hostPorts', pass: { service: { expose: ['80'] } }, fail: { service: { ports: [{ target: 80, published: 8080, protocol: 'tcp' }] } } },
  { control: 'apparmor', pass: { service: { security_opt: ['apparmor=docker-default'] } }, fail: { service: { security_opt: ['apparmor=unconfined'] } } },
  { control: 'selinux', pass: { service: { security_opt: ['label=type:container_t'] } }, fail: { service: { security_opt: ['label=type:spc_t'] } } },
  { control: 'seccomp', pass: { service: {} }, fail: { service: { security_opt: ['seccomp=unconfined'] } } },
  { control: 'sysctls', pass: { service: { sysctls: { 'net.ipv4.tcp_syncookies': '1' } } }, fail: { service: { sysctls: { 'kernel.msgmax': '65536' } } } },
  { control: 'procMount', pass: { service: {} }, fail: { service: { security_opt: ['systempaths=unconfined'] } } },
  {
    control: 'volumeTypes',
    pass: { service: { tmpfs: ['/run'], volumes: [{ type: 'volume', target: '/data' }] } },
    fail: { service: {}, plugins: [setPlugin('acme:nfs-home', 'mounts', '/mounts/-', { destination: '/home', type: 'nfs', source: 'files:/home', options: ['vers=4'] })] },
  },
  { control: 'allowPrivilegeEscalation', pass: { service: { security_opt: ['no-new-privileges:true'] } }, fail: { service: {} } },
  { control: 'runAsNonRoot', pass: { service: { user: '1000:1000' } }, fail: { service: { user: '0:0' } } },
  {
    control: 'seccompRequired',
    pass: { service: {} },
    fail: { service: { security_opt: ['seccomp=allow-by-default.json'] }, dir: PROFILES },
  },
  { control: 'capabilitiesRestricted', pass: { service: { cap_drop: ['ALL'], cap_add: ['NET_BIND_SERVICE'] } }, fail: { service: {} } },
  { control: 'readOnlyRootFilesystem', pass: { service: { read_only: true } }, fail: { service: {} } },
];

const MODES: PolicyMode[] = ['enforce', 'warn', 'audit'];

function presetFor(control: string, mode: PolicyMode) {
  // Every other control in audit: the row's control alone decides the outcome.
  const level = CONTROLS.find((c) => c.id === control)!.level;
  const opts = { mode: 'audit' as const, controls: { [control]: mode } };
  return level === 'baseline' ? baselinePreset(opts) : restrictedPreset({ ...opts, readOnlyRoot: control === 'readOnlyRootFilesystem' });
}

describe('policy controls', () => {
  it('the table covers every control', () => {
    expect(TABLE.map((r) => r.control).sort()).toEqual(CONTROLS.map((c) => c.id).sort());
  });

  const rows = TABLE.flatMap((r) => MODES.map((mode) => ({ ...r, mode })));

  it.each(rows)('$control fails a bad service in $mode mode', async ({ control, fail, mode }) => {
    const { policy, error, warnings, report } = await runPolicy(fail.service, { presets: [presetFor(control, mode)], plugins: fail.plugins ?? [], ...(fail.dir ? { dir: fail.dir } : {}) });
    const mine = policy.violations.filter((v) => v.control === control);
    expect(mine.length, JSON.stringify(policy.violations, null, 1)).toBeGreaterThan(0);
    expect(mine.every((v) => v.mode === mode && !v.exemption)).toBe(true);
    if (mode === 'enforce') {
      expect(error?.code).toBe('POLICY_VIOLATION');
      expect(error?.message).toContain(control);
      expect(error?.details?.length).toBe(mine.length);
    } else {
      expect(error).toBeUndefined();
    }
    const warned = warnings.filter((w) => w.message.startsWith(`${control}:`));
    expect(warned.length).toBe(mode === 'warn' ? mine.length : 0);
    expect(report.summary[mode]).toBeGreaterThanOrEqual(mine.length);
  });

  it.each(rows)('$control passes a good service in $mode mode', async ({ control, pass, mode }) => {
    const { policy, error, warnings } = await runPolicy(pass.service, { presets: [presetFor(control, mode)], plugins: pass.plugins ?? [], ...(pass.dir ? { dir: pass.dir } : {}) });
    expect(policy.violations.filter((v) => v.control === control)).toEqual([]);
    expect(error).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});

describe('control details', () => {
  it('names the plugin that set the offending value', async () => {
    const { policy } = await runPolicy({ cap_add: ['SYS_ADMIN'] }, { presets: [baselinePreset({ mode: 'audit' })] });
    const v = policy.violations.find((x) => x.control === 'capabilities')!;
    expect(v).toMatchObject({ pointer: '/process/capabilities/bounding', plugin: 'ctnr:capabilities', validator: 'ctnr:policy-baseline' });
    expect(v.message).toContain('CAP_SYS_ADMIN');
  });

  it.each([
    { name: 'docker default NET_RAW is not judged', service: {}, strict: false, bad: false },
    { name: 'cap_add NET_RAW is', service: { cap_add: ['net_raw'] }, strict: false, bad: true },
    { name: 'strictCapabilities judges the default too', service: {}, strict: true, bad: true },
  ])('capabilities: $name', async ({ service, strict, bad }) => {
    const { policy } = await runPolicy(service, { presets: [baselinePreset({ mode: 'audit', strictCapabilities: strict })] });
    expect(policy.violations.some((v) => v.control === 'capabilities' && v.message.includes('CAP_NET_RAW'))).toBe(bad);
  });

  it('hostPathVolumes: allowedHostPaths accepts a bind below it, not beside it', async () => {
    const opts = { presets: [baselinePreset({ mode: 'audit', allowedHostPaths: ['/tmp'] })] };
    const ok = await runPolicy({ volumes: [{ type: 'bind', source: '/tmp', target: '/data' }] }, opts);
    expect(ok.policy.violations.filter((v) => v.control === 'hostPathVolumes')).toEqual([]);
    const bad = await runPolicy({ volumes: [{ type: 'bind', source: '/etc', target: '/data' }] }, opts);
    expect(bad.policy.violations.filter((v) => v.control === 'hostPathVolumes').map((v) => v.message)).toEqual(['binds host path /etc at /data']);
  });

  it('hostPathVolumes: a host bind an organisation plugin adds is judged unless listed in engineBindPlugins', async () => {
    const agent = setPlugin('acme:agent-socket', 'mounts', '/mounts/-', { destination: '/run/agent.sock', type: 'bind', source: '/run/acme/agent.sock', options: ['rbind', 'ro'] });
    const judged = await runPolicy({}, { plugins: [agent], presets: [baselinePreset({ mode: 'audit' })] });
    expect(judged.policy.violations.filter((v) => v.control === 'hostPathVolumes').map((v) => v.message)).toEqual(['binds host path /run/acme/agent.sock at /run/agent.sock']);
    const listed = await runPolicy({}, { plugins: [agent], presets: [baselinePreset({ mode: 'audit', engineBindPlugins: ['acme:agent-socket'] })] });
    expect(listed.policy.violations.filter((v) => v.control === 'hostPathVolumes')).toEqual([]);
  });

  it.skipIf(!existsSync('/usr/bin/tini'))('hostPathVolumes: the init binary ctnr:init binds is engine-managed', async () => {
    const { result, policy } = await runPolicy({ init: true }, { presets: [baselinePreset({ mode: 'audit' })] });
    expect(result.spec.mounts!.some((m) => m.type === 'bind' && m.source?.startsWith('/') && !m.source.startsWith('/var/lib/ctnr-test'))).toBe(true);
    expect(policy.violations.filter((v) => v.control === 'hostPathVolumes')).toEqual([]);
  });

  it('seccomp: an allow-by-default profile with rules passes baseline but not restricted', async () => {
    const { policy } = await runPolicy({ security_opt: ['seccomp=allow-by-default.json'] }, { dir: PROFILES, presets: [restrictedPreset({ mode: 'audit' })] });
    const controls = new Set(policy.violations.map((v) => v.control));
    expect(controls.has('seccomp')).toBe(false);
    expect(controls.has('seccompRequired')).toBe(true);
  });

  it('runAsNonRoot: a user namespace mapping root to an unprivileged host user passes', async () => {
    const uid = setPlugin('acme:userns', 'rootless', '/linux/uidMappings', [{ containerID: 0, hostID: 100000, size: 65536 }]);
    const ns = setPlugin('acme:userns-ns', 'rootless', '/linux/namespaces/-', { type: 'user' });
    const { policy } = await runPolicy({}, { plugins: [ns, uid], presets: [restrictedPreset({ mode: 'audit' })] });
    expect(policy.violations.filter((v) => v.control === 'runAsNonRoot')).toEqual([]);
  });

  it('a control turned off is not evaluated', async () => {
    const { policy } = await runPolicy({ privileged: true }, { presets: [baselinePreset({ controls: { privileged: 'off', capabilities: 'off', procMount: 'off', seccomp: 'off' } })] });
    expect(policy.violations).toEqual([]);
  });
});
