import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { baselinePreset } from '../../../presets/baseline.js';
import { restrictedPreset } from '../../../presets/restricted.js';
import { runPolicy } from './helpers.js';
import { thrownCtnrError } from '../../helpers/errors.js';


describe('exemptions', () => {
  it('a preset exemption keeps the violation in the report, marked, and stops it failing the service', async () => {
    const preset = restrictedPreset({ exemptions: [{ service: 'svc', control: 'runAsNonRoot', reason: 'legacy image needs root until ticket OPS-12' }] });
    const { policy, error, report } = await runPolicy({ user: '0' }, { presets: [preset] });
    const v = policy.violations.find((x) => x.control === 'runAsNonRoot')!;
    expect(v.exemption).toEqual({ reason: 'legacy image needs root until ticket OPS-12', from: 'ctnr:policy-restricted' });
    // Other controls still enforce: the error lists them but not the exempt one.
    expect(error?.details?.some((d) => d.includes('runAsNonRoot'))).toBe(false);
    expect(error?.message).toContain('allowPrivilegeEscalation');
    expect(report.exemptions).toEqual([
      { service: 'svc', control: 'runAsNonRoot', reason: 'legacy image needs root until ticket OPS-12', validator: 'ctnr:policy-restricted', from: 'ctnr:policy-restricted', used: true },
    ]);
    expect(report.summary.exempted).toBe(1);
  });

  it('exempting every violated control lets an enforced service through', async () => {
    const exemptions = ['capabilities', 'privileged', 'procMount', 'seccomp'].map((control) => ({ service: 'svc', control, reason: 'debug container, lab only' }));
    const { error, warnings, report } = await runPolicy({ privileged: true }, { presets: [baselinePreset({ exemptions })] });
    expect(error).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(report.summary).toMatchObject({ enforce: 0, exempted: report.summary.violations });
    expect(report.summary.violations).toBeGreaterThan(0);
  });

  it('an exemption for another service does not apply and is reported unused', async () => {
    const preset = baselinePreset({ exemptions: [{ service: 'web', control: 'privileged', reason: 'x' }] });
    const { error, report } = await runPolicy({ privileged: true }, { presets: [preset] });
    expect(error?.message).toContain('privileged');
    expect(report.exemptions[0]).toMatchObject({ service: 'web', used: false });
  });

  it('config-level exemptions (policy.exemptions) apply to any validator and name the config', async () => {
    const { policy, error } = await runPolicy({ ports: [{ target: 80, published: 8080, protocol: 'tcp' }] }, {
      presets: [baselinePreset()],
      exemptions: [{ service: 'svc', control: 'hostPorts', reason: 'public web server' }],
    });
    expect(error).toBeUndefined();
    expect(policy.violations.find((v) => v.control === 'hostPorts')?.exemption).toEqual({ reason: 'public web server', from: 'ctnr.config.ts' });
  });

  it.each([
    { name: 'a missing reason', exemption: { service: 'svc', control: 'privileged' }, message: /reason/ },
    { name: 'an empty reason', exemption: { service: 'svc', control: 'privileged', reason: '  ' }, message: /needs a reason/ },
    { name: 'an unknown control', exemption: { service: 'svc', control: 'privilegd', reason: 'x' }, message: /unknown control "privilegd" \(did you mean "privileged"\?\)/ },
  ])('a preset exemption with $name is refused, naming the plugin', ({ exemption, message }) => {
    const err = thrownCtnrError(() => baselinePreset({ exemptions: [exemption as never] }));
    expect(err.code).toBe('PLUGIN_OPTIONS');
    expect(err.message).toMatch(message);
  });

  it('a config exemption without a reason is a config error at its key path', () => {
    const err = thrownCtnrError(() => validateConfig({ policy: { exemptions: [{ service: 'web', control: 'privileged' }] } }, 'ctnr.config.ts'));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.path).toBe('policy.exemptions[0].reason');
  });

  it('unknown modes and control names in options are refused', () => {
    expect(thrownCtnrError(() => baselinePreset({ mode: 'block' as never })).code).toBe('PLUGIN_OPTIONS');
    const err = thrownCtnrError(() => restrictedPreset({ controls: { runAsNonRot: 'warn' } }));
    expect(err.message).toContain('did you mean "runAsNonRoot"');
  });
});

describe('modes', () => {
  it('per-control modes override the preset mode', async () => {
    const preset = baselinePreset({ mode: 'warn', controls: { privileged: 'enforce', capabilities: 'audit' } });
    const { policy, error, warnings } = await runPolicy({ privileged: true }, { presets: [preset] });
    const modeOf = (c: string) => [...new Set(policy.violations.filter((v) => v.control === c).map((v) => v.mode))];
    expect(modeOf('privileged')).toEqual(['enforce']);
    expect(modeOf('capabilities')).toEqual(['audit']);
    expect(modeOf('procMount')).toEqual(['warn']);
    expect(error?.message).toMatch(/violates 1 enforced control \(privileged\)/);
    expect(warnings.map((w) => w.message.split(':')[0])).toEqual(expect.arrayContaining(['procMount', 'seccomp']));
    expect(warnings.some((w) => w.message.startsWith('capabilities'))).toBe(false);
  });

  it('a validator without policy settings enforces (a veto), and the report names it', async () => {
    const veto = { name: 'acme:no-latest', stage: 'hooks', validate: ({ service }: any) => (String(service.image).endsWith(':latest') ? [{ control: 'pinnedImage', pointer: '', message: 'image tag :latest' }] : []) };
    const { error } = await runPolicy({ image: 'nginx:latest' }, { plugins: [veto] });
    expect(error?.details).toEqual(['[acme:no-latest] pinnedImage (service): image tag :latest']);
  });

  it('a third-party validator opts into modes through options.policy', async () => {
    const soft = { name: 'acme:no-latest', stage: 'hooks', options: { policy: { mode: 'warn' } }, validate: () => [{ control: 'pinnedImage', pointer: '', message: 'image tag :latest' }] };
    const { error, warnings } = await runPolicy({}, { plugins: [soft] });
    expect(error).toBeUndefined();
    expect(warnings.map((w) => w.message)).toEqual(['pinnedImage: image tag :latest']);
  });
});

describe('restricted fix: true', () => {
  it('drops capabilities and sets no-new-privileges, and the trace shows the preset did it', async () => {
    const { result, policy } = await runPolicy({ user: '1000' }, { presets: [restrictedPreset({ fix: true })] });
    expect(result.spec.process?.capabilities?.bounding).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(result.spec.process?.noNewPrivileges).toBe(true);
    const fixed = result.blame('/process/capabilities').find((t) => t.plugin === 'ctnr:policy-fix-capabilities')!;
    expect(fixed).toMatchObject({ stage: 'process', overrode: 'ctnr:capabilities', presetChain: ['ctnr.config.ts', 'ctnr:preset-restricted'] });
    expect(result.blame('/process/noNewPrivileges').at(-1)?.plugin).toBe('ctnr:policy-fix-no-new-privileges');
    // The seccomp stage derived the profile from the reduced set (it ran after the fix).
    expect(policy.violations.map((v) => v.control)).not.toContain('capabilitiesRestricted');
    expect(policy.violations.map((v) => v.control)).not.toContain('allowPrivilegeEscalation');
    expect(policy.violations).toEqual([]);
  });

  it('makes the root read-only with readOnlyRoot, and leaves what it cannot fix as violations', async () => {
    const { result, policy } = await runPolicy({}, { presets: [restrictedPreset({ fix: true, readOnlyRoot: true, mode: 'audit' })] });
    expect(result.spec.root?.readonly).toBe(true);
    expect(policy.violations.map((v) => v.control)).toEqual(['runAsNonRoot']);
  });

  it('does not fix a control the service is exempt from', async () => {
    const preset = restrictedPreset({ fix: true, mode: 'audit', exemptions: [{ service: 'svc', control: 'capabilitiesRestricted', reason: 'needs CHOWN at start-up' }] });
    const { result } = await runPolicy({ user: '1000' }, { presets: [preset] });
    expect(result.spec.process?.capabilities?.bounding).toContain('CAP_CHOWN');
    expect(result.spec.process?.noNewPrivileges).toBe(true);
  });

  it('without fix nothing is mutated', async () => {
    const { result } = await runPolicy({}, { presets: [restrictedPreset({ mode: 'audit' })] });
    expect(result.trace.some((t) => t.plugin.startsWith('ctnr:policy-fix'))).toBe(false);
    expect(result.spec.process?.capabilities?.bounding).toContain('CAP_CHOWN');
  });
});
