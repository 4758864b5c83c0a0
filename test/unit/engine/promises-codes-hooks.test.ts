import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/create-engine.js';
import { definePlugin } from '../../../src/engine/define.js';
import { testPlugin } from '../../../src/plugin-kit/test-plugin.js';
import type { Plugin } from '../../../src/engine/types.js';
import type { StageEvent } from '../../../src/engine/engine.js';
import { TEST_ENV } from '../../helpers/engine.js';

const set = (value: string) => [{ op: 'add' as const, path: '/hostname', value }];

describe('apply may return ops or a promise of them, with no flag', () => {
  const cases: Array<[string, Plugin]> = [
    ['synchronous ops', { name: 'acme:sync', stage: 'network', apply: () => set('sync') }],
    ['an async method', { name: 'acme:async', stage: 'network', async apply() { return set('async'); } }],
    // A plain function that returns a promise (what a bundler emits for async code, or a `.then` chain).
    ['a plain function returning a promise', { name: 'acme:plain', stage: 'network', apply: () => Promise.resolve(set('plain')) }],
    ['a thenable that is not a Promise', { name: 'acme:thenable', stage: 'network', apply: () => ({ then: (ok: (v: unknown) => void) => ok(set('thenable')) }) as never }],
  ];
  it.each(cases)('%s', async (_label, plugin) => {
    const result = await testPlugin(plugin);
    expect(result.errors).toEqual([]);
    expect(result.spec?.hostname).toBe(plugin.name.slice('acme:'.length));
  });

  it('a plain function whose promise rejects fails the service naming the plugin', async () => {
    const result = await testPlugin({ name: 'acme:rejects', stage: 'network', apply: () => Promise.reject(new Error('registry down')) });
    expect(result.errors.map((e) => [e.code, e.plugin, e.message])).toEqual([['PLUGIN_FAILED', 'acme:rejects', 'plugin threw: registry down']]);
  });

  it('validate may return a promise from a plain function', async () => {
    const validator = definePlugin({
      name: 'acme:check', stage: 'network',
      validate: () => Promise.resolve([{ control: 'acme', pointer: '/hostname', message: 'no hostnames' }]),
    });
    const result = await testPlugin(validator, { spec: { ociVersion: '1.2.0', hostname: 'x' } });
    expect(result.violations.map((v) => [v.validator, v.message])).toEqual([['acme:check', 'no hostnames']]);
  });
});

describe('warnings carry the code the plugin chose', () => {
  it.each([
    ['ACME_UNPINNED', 'ACME_UNPINNED'],
    [undefined, 'WARN'],
  ])('code %s → %s', async (code, expected) => {
    const plugin: Plugin = { name: 'acme:warns', stage: 'process', apply: (ctx) => (ctx.warn('image is not pinned', 'image', code), []) };
    const result = await testPlugin(plugin, { service: { image: 'busybox' } });
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ level: 'warning', code: expected, message: 'image is not pinned', plugin: 'acme:warns', path: 'services.svc.image' }),
    ]);
  });
});

describe('stage hooks', () => {
  const writer: Plugin = { name: 'acme:hostname', stage: 'network', apply: () => set('from-plugin') };

  it('a tap sees each stage after its plugins, in stage order, with the trace so far', async () => {
    const engine = createEngine({ stages: ['process', 'network'], plugins: [writer] });
    const seen: Array<[string, unknown, number]> = [];
    for (const stage of ['process', 'network']) {
      engine.hooks[stage]!.tapPromise('observer', async (e: StageEvent) => {
        seen.push([e.stage, e.spec.hostname, e.trace.length]);
      });
    }
    await engine.run({ name: 'svc', service: {} }, TEST_ENV);
    expect(seen).toEqual([['process', undefined, 0], ['network', 'from-plugin', 1]]);
  });

  it('a tap cannot change the spec, and no plugin is blamed for its attempt', async () => {
    const engine = createEngine({ stages: ['network'], plugins: [writer] });
    engine.hooks.network!.tap('vandal', (e: StageEvent) => {
      (e.spec as { hostname?: string }).hostname = 'changed';
    });
    await expect(engine.run({ name: 'svc', service: {} }, TEST_ENV)).rejects.toThrow(/read-only/);
    const quiet = createEngine({ stages: ['network'], plugins: [writer] });
    const result = await quiet.run({ name: 'svc', service: {} }, TEST_ENV);
    expect(result.spec.hostname).toBe('from-plugin');
  });

  it('every stage of the plan has a hook, and no other name does', () => {
    const engine = createEngine({ stages: ['process', 'network'] });
    expect(Object.keys(engine.hooks)).toEqual(['process', 'network']);
    expect(engine.hooks.toString).toBeUndefined();
  });
});
