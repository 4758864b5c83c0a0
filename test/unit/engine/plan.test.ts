import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../../src/engine/plan.js';
import { isCtnrError, type CtnrError } from '../../../src/engine/errors.js';
import type { Plugin, Preset } from '../../../src/engine/types.js';

const p = (name: string, stage = 's', extra: Partial<Plugin> = {}): Plugin => ({ name, stage, apply: () => [], ...extra });
const order = (preset: Preset, stage = 's') => resolvePlan(preset).stages.find((s) => s.name === stage)!.plugins.map((x) => x.plugin.name);
const planError = (preset: Preset): CtnrError => {
  try {
    resolvePlan(preset);
  } catch (err) {
    if (isCtnrError(err)) return err;
    throw err;
  }
  throw new Error('expected an error');
};

describe('plugin order inside a stage', () => {
  it.each([
    { what: 'listing order by default', plugins: [p('a'), p('b'), p('c')], expected: ['a', 'b', 'c'] },
    { what: 'enforce pre/post tiers', plugins: [p('a', 's', { enforce: 'post' }), p('b'), p('c', 's', { enforce: 'pre' })], expected: ['c', 'b', 'a'] },
    { what: 'after moves a plugin behind another', plugins: [p('a', 's', { after: ['c'] }), p('b'), p('c')], expected: ['b', 'c', 'a'] },
    { what: 'before moves a plugin in front', plugins: [p('a'), p('b'), p('c', 's', { before: ['a'] })], expected: ['c', 'a', 'b'] },
    { what: 'before/after win over tiers', plugins: [p('a', 's', { enforce: 'pre', after: ['b'] }), p('b')], expected: ['b', 'a'] },
    { what: 'references to disabled plugins are dropped', plugins: [p('a', 's', { after: ['x'] }), p('x')], disable: ['x'], expected: ['a'] },
  ])('$what', ({ plugins, disable, expected }) => {
    expect(order({ name: 'root', stages: ['s'], plugins, disable: disable ?? [] })).toEqual(expected);
  });
});

describe('presets', () => {
  it('a plugin listed again keeps its first position and takes the last definition', () => {
    const first = p('b');
    const second = p('b', 's', { options: { v: 2 } });
    const plan = resolvePlan({ name: 'root', presets: [{ name: 'base', stages: ['s'], plugins: [p('a'), first, p('c')] }], plugins: [second] });
    const names = plan.stages[0]!.plugins.map((x) => x.plugin);
    expect(names.map((x) => x.name)).toEqual(['a', 'b', 'c']);
    expect(names[1]).toBe(second);
    expect(plan.stages[0]!.plugins[1]!.presetChain).toEqual(['root']);
    expect(plan.stages[0]!.plugins[0]!.presetChain).toEqual(['root', 'base']);
  });

  it('inserts stages before and after existing ones', () => {
    const plan = resolvePlan({
      name: 'root',
      presets: [{ name: 'base', stages: ['a', 'b', 'c'] }],
      stages: [{ name: 'policy', after: 'c' }, { name: 'early', before: 'a' }, { name: 'mid', after: 'a' }],
    });
    expect(plan.stages.map((s) => s.name)).toEqual(['early', 'a', 'mid', 'b', 'c', 'policy']);
  });

  it('disables a plugin by name and records who did', () => {
    const plan = resolvePlan({ name: 'root', presets: [{ name: 'base', stages: ['s'], plugins: [p('a'), p('b')] }], disable: ['a'] });
    expect(plan.stages[0]!.plugins.map((x) => x.plugin.name)).toEqual(['b']);
    expect(plan.disabled).toEqual([{ name: 'a', presetChain: ['root'] }]);
  });

  it('puts validators in their own list', () => {
    const plan = resolvePlan({ name: 'root', stages: ['s'], plugins: [p('a'), { name: 'v', stage: 's', validate: () => [] }] });
    expect(plan.stages[0]!.validators.map((x) => x.plugin.name)).toEqual(['v']);
  });
});

describe('plan errors name the plugins and where they were declared', () => {
  it.each([
    {
      what: 'unknown after',
      preset: { name: 'cfg', stages: ['s'], plugins: [p('a', 's', { after: ['acme:usr'] }), p('acme:user')] },
      code: 'ORDER_UNKNOWN',
      message: /"after" names unknown plugin "acme:usr" \(did you mean "acme:user"\?\)/,
      plugin: 'a',
    },
    {
      what: 'cross-stage reference',
      preset: { name: 'cfg', stages: ['s', 't'], plugins: [p('a', 's', { before: ['b'] }), p('b', 't')] },
      code: 'ORDER_CROSS_STAGE',
      message: /refers to a plugin of stage "t"/,
      plugin: 'a',
    },
    {
      what: 'cycle',
      preset: { name: 'cfg', stages: ['s'], plugins: [p('a', 's', { after: ['b'] }), p('b', 's', { after: ['a'] })] },
      code: 'ORDER_CYCLE',
      message: /cycle/,
    },
    {
      what: 'unknown stage of a plugin',
      preset: { name: 'cfg', stages: ['process'], plugins: [p('a', 'proces')] },
      code: 'STAGE_UNKNOWN',
      message: /unknown stage "proces" \(did you mean "process"\?\)/,
      plugin: 'a',
    },
    {
      what: 'stage inserted after an unknown stage',
      preset: { name: 'cfg', stages: ['hooks', { name: 'policy', after: 'hook' }] },
      code: 'STAGE_UNKNOWN',
      message: /after unknown stage "hook" \(did you mean "hooks"\?\)/,
    },
    {
      what: 'disable of an unknown plugin',
      preset: { name: 'cfg', stages: ['s'], plugins: [p('acme:seccomp')], disable: ['acme:secomp'] },
      code: 'ORDER_UNKNOWN',
      message: /did you mean "acme:seccomp"/,
    },
    {
      what: 'plugin without apply or validate',
      preset: { name: 'cfg', stages: ['s'], plugins: [{ name: 'x', stage: 's' } as Plugin] },
      code: 'PLUGIN_INVALID',
      message: /needs an "apply" or a "validate"/,
      plugin: 'x',
    },
  ])('$what', ({ preset, code, message, plugin }) => {
    const err = planError(preset as Preset);
    expect(err.code).toBe(code);
    expect(err.message + (err.details ?? []).join('\n')).toMatch(message);
    if (plugin) expect(err.plugin).toBe(plugin);
    expect(err.presetChain ?? ['cfg']).toContain('cfg');
  });

  it('a cycle lists every plugin in it with its preset chain', () => {
    const err = planError({ name: 'cfg', presets: [{ name: 'org', stages: ['s'], plugins: [p('a', 's', { after: ['b'] }), p('b', 's', { after: ['a'] }), p('c')] }] });
    expect(err.details).toEqual([
      'a (before: -; after: b) from cfg › org',
      'b (before: -; after: a) from cfg › org',
    ]);
  });
});
