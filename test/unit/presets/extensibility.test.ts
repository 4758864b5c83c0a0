import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/create-engine.js';
import { definePlugin, definePreset } from '../../../src/engine/define.js';
import { openProject, runService } from '../../../src/project.js';
import { servicePolicy } from '../../../src/policy/apply.js';
import { checkProject } from '../../../src/policy/check.js';
import { defaultPreset } from '../../../presets/default.js';
import { restrictedPreset } from '../../../presets/restricted.js';
import { runServiceYaml } from '../../helpers/engine.js';
import { REPO } from '../../helpers/shared.js';
import type { Plugin, Preset } from '../../../src/engine/types.js';

const PROJECT = path.join(REPO, 'test/fixtures/presets/npm-project');

describe('a preset published as an npm package', () => {
  beforeAll(() => {
    // The fixture project depends on the local package through `file:`; install it inside the fixture only.
    if (existsSync(path.join(PROJECT, 'node_modules/@acme/ctnr-preset'))) return;
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts'], { cwd: PROJECT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm install in ${PROJECT} failed: ${r.stderr}`);
  }, 120_000);

  it('is referenced by name in ctnr.config.ts and runs its plugins in its own stage', async () => {
    const project = await openProject({ cwd: PROJECT, env: { rootless: false, uid: 0, gid: 0 } });
    expect(project.engine.plan.stages.map((s) => s.name)).toEqual([
      'process', 'rootless', 'mounts', 'privileged', 'cgroups', 'annotations', 'seccomp', 'network', 'hooks', 'policy',
    ]);
    const policyStage = project.engine.plan.stages.at(-1)!;
    expect(policyStage.validators.map((v) => [v.plugin.name, v.presetChain.join(' › ')])).toEqual([['acme:require-owner', 'ctnr.config.ts › @acme/ctnr-preset']]);

    const web = await runService(project, 'web');
    expect(web.result.spec.annotations?.['com.acme.owner']).toBe('team-shop');
    expect(servicePolicy(project, web.result).error).toBeUndefined();

    const worker = await runService(project, 'worker');
    const outcome = servicePolicy(project, worker.result);
    expect(outcome.error?.code).toBe('POLICY_VIOLATION');
    expect(outcome.error?.details).toEqual(['[acme:require-owner] owner /annotations/com.acme.owner: set label com.acme.owner to the owning team (set by acme:owner-annotation)']);
  });

  it('ctnr check: one table over every service, with the config\'s exemption', async () => {
    const project = await openProject({ cwd: PROJECT, env: { rootless: false, uid: 0, gid: 0 } });
    const report = await checkProject(project);
    expect(report.services.map((s) => [s.service, s.violations.map((v) => (v.exemption ? `${v.control} (exempt)` : v.control))])).toEqual([
      ['web', []],
      ['worker', ['owner']],
      ['scratch', ['owner (exempt)']],
    ]);
    expect(report.summary).toMatchObject({ services: 3, enforce: 1, exempted: 1 });
  });

  it('can be added with --preset on top of a config that does not name it', async () => {
    const project = await openProject({ cwd: PROJECT, configFile: path.join(REPO, 'test/fixtures/presets/plain.config.json'), presets: ['@acme/ctnr-preset', 'restricted'] });
    const names = project.engine.plan.stages.flatMap((s) => s.validators.map((v) => `${v.plugin.name} ‹ ${v.presetChain.join(' › ')}`));
    expect(names).toEqual([
      'ctnr:seccomp-caps-check ‹ plain.config.json › ctnr:preset-default',
      'acme:require-owner ‹ plain.config.json › --preset › @acme/ctnr-preset',
      'ctnr:policy-baseline ‹ plain.config.json › --preset › ctnr:preset-restricted › ctnr:preset-baseline',
      'ctnr:policy-restricted ‹ plain.config.json › --preset › ctnr:preset-restricted',
    ]);
  });
});

/** An organisation seccomp profile: the same plugin name as ctnr's, so it takes its place (said with `replace`). */
const ORG_PROFILE = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] };
const orgSeccomp = definePlugin({
  name: 'ctnr:seccomp',
  replace: true,
  stage: 'seccomp',
  enforce: 'post',
  apply: ({ spec }) => [{ op: spec.linux?.seccomp ? 'replace' : 'add', path: '/linux/seccomp', value: ORG_PROFILE }],
});

describe('composing presets', () => {
  it('a preset swaps ctnr:seccomp for an organisation profile', async () => {
    const org = definePreset({ name: 'acme:hardened', plugins: [orgSeccomp] });
    const { spec, trace } = await runServiceYaml({}, { presets: [defaultPreset(), org] });
    expect(spec.linux?.seccomp).toEqual(ORG_PROFILE);
    const writes = trace.filter((t) => t.pointer === '/linux/seccomp');
    expect(writes.map((t) => [t.plugin, t.presetChain.join(' › ')])).toEqual([['ctnr:seccomp', 'api › acme:hardened']]);
  });

  it('a preset inserts a `policy` stage after `hooks` with its own plugin', async () => {
    const stamp = definePlugin({ name: 'acme:stamp', stage: 'policy', apply: ({ spec }) => [{ op: spec.annotations ? 'replace' : 'add', path: '/annotations', value: { ...spec.annotations, 'com.acme.checked': 'yes' } }] });
    const org = definePreset({ name: 'acme:policy', stages: [{ name: 'policy', after: 'hooks' }], plugins: [stamp] });
    const engine = createEngine({ presets: [defaultPreset(), org] });
    expect(engine.plan.stages.map((s) => s.name).slice(-2)).toEqual(['hooks', 'policy']);
    const { spec, trace } = await runServiceYaml({}, { presets: [defaultPreset(), org] });
    expect(spec.annotations?.['com.acme.checked']).toBe('yes');
    // It ran after every plugin of the nine stages.
    expect(trace.at(-1)).toMatchObject({ plugin: 'acme:stamp', stage: 'policy', presetChain: ['api', 'acme:policy'] });
  });

  it('nested presets: a plugin listed again keeps its first position and takes the last options', async () => {
    const tag = (value: string): Plugin => ({ name: 'acme:tag', stage: 'process', options: { value }, apply: ({ spec, options }) => [{ op: 'add', path: '/process/env/-', value: `TAG=${(options as { value: string }).value}` }] });
    const marker = (n: string): Plugin => ({ name: `acme:marker-${n}`, stage: 'process', apply: () => [{ op: 'add', path: '/process/env/-', value: `MARK=${n}` }] });
    // inner: tag(v1), marker-1 — outer: nests inner, then marker-2 and tag(v2) again.
    const inner: Preset = { name: 'acme:inner', plugins: [tag('v1'), marker('1')] };
    const outer: Preset = { name: 'acme:outer', presets: [inner], plugins: [marker('2'), tag('v2')] };
    const { spec, trace } = await runServiceYaml({ command: ['true'] }, { presets: [defaultPreset(), outer] });
    const env = spec.process!.env!.filter((e) => /^(TAG|MARK)=/.test(e));
    expect(env).toEqual(['TAG=v2', 'MARK=1', 'MARK=2']);
    expect(trace.find((t) => t.plugin === 'acme:tag')!.presetChain).toEqual(['api', 'acme:outer']);
  });

  it('restricted nests baseline; the chain shows it', async () => {
    const engine = createEngine({ name: 'ctnr.config.ts', presets: [defaultPreset(), restrictedPreset()] });
    const policy = engine.plan.stages.find((s) => s.name === 'policy')!;
    expect(policy.validators.map((v) => v.presetChain.join(' › '))).toEqual([
      'ctnr.config.ts › ctnr:preset-restricted › ctnr:preset-baseline',
      'ctnr.config.ts › ctnr:preset-restricted',
    ]);
  });

  it('a preset disables a plugin by name, and an unknown name is an error with a hint', async () => {
    const { spec } = await runServiceYaml({ command: ['true'], environment: { A: '1' } }, { presets: [defaultPreset(), { name: 'acme:no-env', disable: ['ctnr:env'] }] });
    expect(spec.process!.env).not.toContain('A=1');
    expect(() => createEngine({ presets: [defaultPreset(), { name: 'acme:typo', disable: ['ctnr:seccom'] }] })).toThrow(/did you mean "ctnr:seccomp"/);
  });
});
