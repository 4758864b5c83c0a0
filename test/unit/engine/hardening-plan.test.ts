import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/create-engine.js';
import { resolvePresetRefs, validateConfig } from '../../../src/config/load.js';
import type { CtnrError } from '../../../src/engine/errors.js';
import type { Plugin, Preset } from '../../../src/engine/types.js';
import { defaultPreset } from '../../../presets/default.js';
import { baselinePreset } from '../../../presets/baseline.js';
import { shippedPreset } from '../../../src/engine/reserved.js';
import { podmanPreset } from '../../../presets/engines/podman.js';
import { TEST_ENV } from '../../helpers/engine.js';

/** Issue 16 item 5: taking the name of one of ctnr's plugins outside ctnr's own presets needs `replace: true`. */
const mySeccomp = (extra: Partial<Plugin> = {}): Plugin => ({ name: 'ctnr:seccomp', stage: 'seccomp', enforce: 'post', apply: () => [], ...extra });
const planError = (build: () => unknown): CtnrError => {
  try {
    build();
  } catch (err) {
    return err as CtnrError;
  }
  throw new Error('expected an error');
};

describe('redefining a ctnr: plugin', () => {
  it('from a config without `replace: true` is an error naming both sources', () => {
    const err = planError(() => createEngine({ name: 'ctnr.config.ts', presets: [defaultPreset()], plugins: [mySeccomp()] }));
    expect(err).toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'ctnr:seccomp', presetChain: ['ctnr.config.ts'] });
    expect(err.message).toContain('ctnr.config.ts › ctnr:preset-default');
    expect(err.message).toMatch(/replace: true/);
    expect(err.details).toEqual(['defined by ctnr.config.ts › ctnr:preset-default', 'redefined by ctnr.config.ts']);
  });

  it('from a third-party preset without `replace: true` is an error naming both preset chains', () => {
    const acme: Preset = { name: 'acme:hardened', presets: [defaultPreset()], plugins: [mySeccomp()] };
    const err = planError(() => createEngine({ name: 'ctnr.config.ts', presets: [acme] }));
    expect(err).toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'ctnr:seccomp', presetChain: ['ctnr.config.ts', 'acme:hardened'] });
    expect(err.message).toContain('ctnr.config.ts › acme:hardened › ctnr:preset-default');
  });

  it('with `replace: true` takes the plugin\'s place and the trace names its source', async () => {
    const engine = createEngine({ name: 'ctnr.config.ts', presets: [defaultPreset()], plugins: [mySeccomp({ replace: true })] });
    const seccomp = engine.plan.stages.find((s) => s.name === 'seccomp')!;
    expect(seccomp.plugins.filter((p) => p.plugin.name === 'ctnr:seccomp').map((p) => p.presetChain)).toEqual([['ctnr.config.ts']]);
    const result = await engine.run({ name: 'web', service: { command: ['true'] } as never }, TEST_ENV);
    expect(result.spec.linux?.seccomp).toBeUndefined();
    expect(result.trace.some((t) => t.pointer === '/linux/seccomp')).toBe(false);
  });

  it('by ctnr\'s own presets needs nothing (podman swaps ctnr:capabilities)', () => {
    const engine = createEngine({ name: 'ctnr.config.ts', presets: [podmanPreset()] });
    const caps = engine.plan.stages.flatMap((s) => s.plugins).find((p) => p.plugin.name === 'ctnr:capabilities')!;
    expect(caps.presetChain).toEqual(['ctnr.config.ts', 'ctnr:preset-podman']);
    // Listed twice (default, then podman on top of it): still fine, both are ctnr's.
    expect(() => createEngine({ presets: [defaultPreset(), podmanPreset()] })).not.toThrow();
  });

  it('`replace: true` with nothing of that name to replace is an error with a hint', () => {
    const err = planError(() => createEngine({ presets: [defaultPreset()], plugins: [mySeccomp({ name: 'ctnr:seccom', replace: true })] }));
    expect(err).toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'ctnr:seccom' });
    expect(err.message).toMatch(/did you mean "ctnr:seccomp"/);
  });

  it('other names are swapped as before (a plugin listed again takes the last definition)', () => {
    const tag = (v: string): Plugin => ({ name: 'acme:tag', stage: 'process', options: { v }, apply: () => [] });
    const engine = createEngine({ presets: [defaultPreset(), { name: 'acme:a', plugins: [tag('1')] }], plugins: [tag('2')] });
    expect(engine.plan.stages[0]!.plugins.find((p) => p.plugin.name === 'acme:tag')!.plugin.options).toEqual({ v: '2' });
  });

  it('`replace` and `timeoutMs` are checked on plugins given through the API', () => {
    expect(planError(() => createEngine({ stages: ['process'], plugins: [{ name: 'acme:x', stage: 'process', apply: () => [], replace: 'yes' as never }] }))).toMatchObject({ code: 'PLUGIN_INVALID', message: expect.stringMatching(/"replace" must be true or false/) });
    expect(planError(() => createEngine({ stages: ['process'], plugins: [{ name: 'acme:x', stage: 'process', apply: () => [], timeoutMs: -1 }] }))).toMatchObject({ code: 'PLUGIN_INVALID', message: expect.stringMatching(/"timeoutMs" must be a positive/) });
  });
});

describe('config schema', () => {
  const base = { name: 'ctnr:seccomp', stage: 'seccomp', apply: () => [] };
  it('accepts `replace` and `timeoutMs` on a plugin', () => {
    const config = validateConfig({ plugins: [{ ...base, replace: true, timeoutMs: 5000 }] }, 'ctnr.config.ts');
    expect(config.plugins![0]).toMatchObject({ replace: true, timeoutMs: 5000 });
  });

  it.each([
    [{ replace: 'yes' }, 'plugins[0].replace'],
    [{ timeoutMs: 0 }, 'plugins[0].timeoutMs'],
    [{ timeoutMs: 1.5 }, 'plugins[0].timeoutMs'],
  ])('refuses %j at its key path', (extra, where) => {
    try {
      validateConfig({ plugins: [{ ...base, ...extra }] }, 'ctnr.config.ts');
    } catch (err) {
      expect(err).toMatchObject({ code: 'CONFIG_INVALID', path: where });
      return;
    }
    throw new Error('expected CONFIG_INVALID');
  });
});

describe('a new ctnr: name outside ctnr\'s presets', () => {
  // Only ctnr:… plugins may write io.ctnr.* annotations, so the prefix itself must not be free to take.
  it.each<[string, () => unknown, string[]]>([
    ['a config', () => createEngine({ name: 'ctnr.config.ts', presets: [defaultPreset()], plugins: [{ name: 'ctnr:evil', stage: 'annotations', apply: () => [] }] }), ['ctnr.config.ts']],
    ['a third-party preset', () => createEngine({ name: 'ctnr.config.ts', presets: [defaultPreset(), { name: 'acme-preset', plugins: [{ name: 'ctnr:evil', stage: 'annotations', apply: () => [] }] }] }), ['ctnr.config.ts', 'acme-preset']],
  ])('from %s is refused, naming the plugin and suggesting a prefix', (_from, build, chain) => {
    const err = planError(build);
    expect(err).toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'ctnr:evil', presetChain: chain });
    expect(err.message).toMatch(/the "ctnr:" prefix is reserved for ctnr's own plugins; give it your own prefix \(e\.g\. "acme:evil"\)/);
  });

  it('is fine inside a preset shipped with ctnr', () => {
    expect(() => createEngine({ name: 'x', presets: [defaultPreset(), shippedPreset({ name: 'ctnr:extra', plugins: [{ name: 'ctnr:new', stage: 'annotations', apply: () => [] }] })] })).not.toThrow();
  });
});

describe('a preset that only calls itself ctnr:…', () => {
  // Shipped with ctnr is a fact about the preset object, not its name: an impostor would get its plugins the spec
  // itself (writes that leave no trace) and ctnr's annotations.
  const impostor = () => ({ name: 'ctnr:not-really', plugins: [{ name: 'ctnr:sneak', stage: 'process', apply: () => [] }] });
  it.each<[string, () => unknown, string[]]>([
    ['listed by a config', () => createEngine({ name: 'ctnr.config.ts', presets: [defaultPreset(), impostor()] }), ['ctnr.config.ts', 'ctnr:not-really']],
    ['nested in a third-party preset', () => createEngine({ name: 'ctnr.config.ts', presets: [defaultPreset(), { name: 'acme', presets: [impostor()] }] }), ['ctnr.config.ts', 'acme', 'ctnr:not-really']],
    ['without plugins of ctnr\'s names', () => createEngine({ name: 'ctnr.config.ts', presets: [defaultPreset(), { name: 'ctnr:quiet', plugins: [{ name: 'acme:x', stage: 'process', apply: () => [] }] }] }), ['ctnr.config.ts', 'ctnr:quiet']],
  ])('%s is refused before any service runs', (_how, build, chain) => {
    const err = planError(build);
    expect(err).toMatchObject({ code: 'PLUGIN_INVALID', presetChain: chain });
    expect(err.message).toMatch(/the "ctnr:" prefix is reserved for presets shipped with ctnr; give it your own prefix/);
  });

  it("ctnr's own presets keep their trust through a config file's validation (the objects, not copies)", async () => {
    const config = validateConfig({ presets: [defaultPreset(), { name: 'acme', presets: [baselinePreset()] }] }, 'ctnr.config.ts');
    const presets = await resolvePresetRefs(config.presets!, process.cwd(), 'ctnr.config.ts', {});
    const plan = createEngine({ name: 'ctnr.config.ts', presets }).plan;
    const all = plan.stages.flatMap((s) => [...s.plugins, ...s.validators]);
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((p) => !p.builtin).map((p) => p.plugin.name)).toEqual([]);
  });
});
