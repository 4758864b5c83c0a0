import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type EngineOptions } from '../../../src/create-engine.js';
import { isCtnrError, type CtnrError } from '../../../src/engine/errors.js';
import type { Plugin } from '../../../src/engine/types.js';
import { TEST_ENV } from '../../helpers/engine.js';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from '../../cli/hardening-cli.js';

/** Issue 16 item 8: an async plugin that never settles fails with PLUGIN_TIMEOUT naming it, and leaves no timer. */
const input = { name: 'web', service: {} };
const never = () => new Promise<never>(() => {});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const plugin = (name: string, apply: Plugin['apply'], extra: Partial<Plugin> = {}): Plugin => ({ name, stage: 'process', apply, ...extra });
const runError = async (options: EngineOptions): Promise<CtnrError> => {
  try {
    await createEngine({ name: 'test', stages: ['process'], ...options }).run(input, TEST_ENV);
  } catch (err) {
    if (isCtnrError(err)) return err;
    throw err;
  }
  throw new Error('expected failure');
};
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('plugin timeout', () => {
  it('an apply() that never settles fails after the plugin\'s timeoutMs, naming it, its stage and preset chain', async () => {
    const t0 = Date.now();
    const err = await runError({ presets: [{ name: 'acme:preset', plugins: [plugin('acme:hang', async () => never(), { timeoutMs: 50 })] }] });
    expect(err).toMatchObject({ code: 'PLUGIN_TIMEOUT', plugin: 'acme:hang', stage: 'process', presetChain: ['test', 'acme:preset'] });
    expect(err.message).toMatch(/apply\(\) did not settle within 50 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('the engine option pluginTimeoutMs is the default; a plugin\'s own timeoutMs wins', async () => {
    expect(await runError({ pluginTimeoutMs: 40, plugins: [plugin('acme:hang', async () => never())] })).toMatchObject({ code: 'PLUGIN_TIMEOUT', plugin: 'acme:hang' });
    const slow = plugin('acme:slow', async () => (await sleep(120), [{ op: 'add', path: '/hostname', value: 'late' }]), { timeoutMs: 5000 });
    const result = await createEngine({ name: 'test', stages: ['process'], pluginTimeoutMs: 40, plugins: [slow] }).run(input, TEST_ENV);
    expect(result.spec.hostname).toBe('late');
  });

  it('a validate() that never settles times out too', async () => {
    const err = await runError({ pluginTimeoutMs: 40, plugins: [{ name: 'acme:judge', stage: 'process', validate: () => never() }] });
    expect(err).toMatchObject({ code: 'PLUGIN_TIMEOUT', plugin: 'acme:judge' });
    expect(err.message).toMatch(/validate\(\)/);
  });

  it('a plugin that settles leaves no timer behind, even with the 30 s default', async () => {
    const before = timers();
    const engine = createEngine({ name: 'test', stages: ['process'], plugins: [plugin('acme:quick', async () => [])] });
    await engine.run(input, TEST_ENV);
    await engine.run(input, TEST_ENV);
    expect(timers()).toBe(before);
  });

  it('a plugin that rejects after its timeout is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const err = await runError({ plugins: [plugin('acme:late', async () => (await sleep(60), Promise.reject(new Error('too late'))), { timeoutMs: 20 })] });
      expect(err.code).toBe('PLUGIN_TIMEOUT');
      await sleep(100);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an invalid engine pluginTimeoutMs is refused', () => {
    expect(() => createEngine({ pluginTimeoutMs: 0 })).toThrow(/pluginTimeoutMs/);
  });
});

describe('through the CLI (built)', () => {
  const root = tempRoot('timeout');
  afterAll(() => root.cleanup());
  const config = (apply: string, timeout: string) =>
    `export default { plugins: [{ name: 'acme:hang', stage: 'process'${timeout}, async apply() { ${apply} } }] };\n`;

  it('a plugin that waits on nothing is reported, not exit 13 with nothing printed', () => {
    requireBuild();
    const dir = project(root.dir, 'hang', SIMPLE, { 'ctnr.config.mjs': config('await new Promise(() => {}); return [];', ', timeoutMs: 300') });
    const r = ctnr(dir, ['spec', 'web']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('[acme:hang] apply() did not settle within 300 ms');
    expect(r.stderr).toContain('stage process · from ctnr.config.mjs');
  });

  it('a plugin that settles does not keep the process alive for the 30 s default', () => {
    requireBuild();
    const dir = project(root.dir, 'quick', SIMPLE, { 'ctnr.config.mjs': config('await null; return [];', '') });
    const t0 = Date.now();
    const r = ctnr(dir, ['spec', 'web']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
