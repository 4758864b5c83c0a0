import { describe, expect, it } from 'vitest';
import { CtnrError, definePlugin, op, testPlugin, TEST_ENV, z } from '../../../src/plugin-kit/index.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import type { Plugin } from '../../../src/engine/types.js';

const hello = definePlugin({
  name: 'acme:hello',
  stage: 'process',
  after: ['ctnr:env'], // not in a one-plugin plan: testPlugin drops the ordering
  apply({ service, spec, warn, error }) {
    const greeting = service.labels?.['com.acme.greeting'];
    if (greeting === undefined) return [];
    if (greeting === '') {
      error('must not be empty', ['labels', 'com.acme.greeting']);
      return [];
    }
    if (greeting === 'hi') warn('"hi" is informal', ['labels', 'com.acme.greeting']);
    return [op.env('GREETING', greeting, spec)];
  },
});

describe('testPlugin', () => {
  it.each([
    { what: 'nothing to do', service: {}, ops: [], diagnostics: [] },
    { what: 'an op', service: { labels: { 'com.acme.greeting': 'hello' } }, ops: [{ op: 'add', path: '/process/env/-', value: 'GREETING=hello' }], diagnostics: [] },
    { what: 'a warning', service: { labels: { 'com.acme.greeting': 'hi' } }, ops: [{ op: 'add', path: '/process/env/-', value: 'GREETING=hi' }],
      diagnostics: [{ level: 'warning', code: 'WARN', plugin: 'acme:hello', path: 'services.svc.labels["com.acme.greeting"]' }] },
  ])('$what', async ({ service, ops, diagnostics }) => {
    const r = await testPlugin(hello, { service });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual(ops);
    expect(r.diagnostics).toMatchObject(diagnostics);
    expect(r.spec!.process!.env!.at(-1)).toBe(ops.length ? ops[0]!.value : 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it.each<[string, Plugin, Record<string, unknown>, object]>([
    ['ctx.error', hello, { labels: { 'com.acme.greeting': '' } }, { code: 'SERVICE_INVALID', plugin: 'acme:hello', stage: 'process', path: 'services.svc.labels["com.acme.greeting"]', message: 'must not be empty' }],
    ['an op that does not apply', { name: 'acme:x', stage: 'process', apply: () => [op.remove('/nope')] }, {}, { code: 'PATCH_FAILED', plugin: 'acme:x' }],
    ['a malformed op', { name: 'acme:x', stage: 'process', apply: () => [{ op: 'add', path: 'hostname', value: 1 }] } as unknown as Plugin, {}, { code: 'OP_INVALID', plugin: 'acme:x' }],
    ['writing ctnr\'s annotations', { name: 'acme:x', stage: 'annotations', apply: ({ spec }) => [op.annotation('io.ctnr.healthcheck', '{}', spec)] }, {}, { code: 'OP_INVALID', plugin: 'acme:x' }],
    ['changing ctx.spec (read-only view)', { name: 'acme:x', stage: 'process', apply: ({ spec }) => { (spec as { hostname?: string }).hostname = 'x'; return []; } }, {}, { code: 'PLUGIN_FAILED', plugin: 'acme:x' }],
    ['changing ctx.spec (a ctnr: plugin, strict mode)', { name: 'ctnr:x', stage: 'process', apply: ({ spec }) => { (spec as { hostname?: string }).hostname = 'x'; return []; } }, {}, { code: 'PLUGIN_FAILED', plugin: 'ctnr:x' }],
    ['a throw', { name: 'acme:x', stage: 'process', apply: () => { throw new Error('boom'); } }, {}, { code: 'PLUGIN_FAILED', plugin: 'acme:x', message: 'plugin threw: boom' }],
    ['no stage', { name: 'acme:x', apply: () => [] } as unknown as Plugin, {}, { code: 'PLUGIN_INVALID' }],
  ])('%s is an error in the result, not a throw', async (_what, plugin, service, error) => {
    const r = await testPlugin(plugin, { service });
    expect(r.spec).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toBeInstanceOf(CtnrError);
    expect(r.errors[0]).toMatchObject(error);
  });

  it('starts from the given spec, and leaves it as it was', async () => {
    const spec = createBaseSpec();
    spec.process!.env = ['GREETING=old', 'X=1'];
    const r = await testPlugin(hello, { service: { labels: { 'com.acme.greeting': 'new' } }, spec });
    expect(r.ops).toEqual([{ op: 'replace', path: '/process/env/0', value: 'GREETING=new' }]);
    expect(r.spec!.process!.env).toEqual(['GREETING=new', 'X=1']);
    expect(spec.process!.env).toEqual(['GREETING=old', 'X=1']);
  });

  it('passes env (over TEST_ENV), image and the service name', async () => {
    const seen: unknown[] = [];
    await testPlugin({ name: 'acme:x', stage: 'rootless', apply: (ctx) => { seen.push(ctx.env, ctx.image, ctx.serviceName); return []; } }, { env: { rootless: true, uid: 1000 }, image: { User: 'app' }, name: 'web' });
    expect(seen).toEqual([{ ...TEST_ENV, rootless: true, uid: 1000 }, { User: 'app' }, 'web']);
  });

  it('awaits an async apply', async () => {
    const r = await testPlugin({ name: 'acme:x', stage: 'process', async apply() { await new Promise((res) => setTimeout(res, 1)); return [op.set('/hostname', 'later')]; } });
    expect(r.spec!.hostname).toBe('later');
  });

  it('returns a validator\'s violations and the files a plugin declares', async () => {
    const v = await testPlugin({ name: 'acme:policy', stage: 'policy', validate: ({ spec }) => (spec.process?.terminal ? [] : [{ control: 'tty', pointer: '/process/terminal', message: 'want a tty' }]) });
    expect(v.violations).toMatchObject([{ control: 'tty', validator: 'acme:policy', stage: 'policy' }]);
    const f = await testPlugin({ name: 'acme:files', stage: 'mounts', apply: () => ({ ops: [], files: [{ path: 'files/motd', content: 'hi' }] }) });
    expect(f.files).toEqual([{ path: 'files/motd', content: 'hi', plugin: 'acme:files' }]);
  });
});

describe('definePlugin with optionsSchema', () => {
  const schema = z.strictObject({ port: z.number().int().min(1).max(65535), host: z.string().default('localhost') });
  const make = (options: unknown) => definePlugin({ name: 'acme:proxy', stage: 'process', options: options as { port: number; host?: string }, optionsSchema: schema, apply: ({ options: o, spec }) => [op.env('PROXY', `${o.host}:${o.port}`, spec)] });

  it.each([
    [{ port: 0 }, 'options.port'],
    [{ port: 80, extra: 1 }, 'options'],
    [{ port: '80' }, 'options.port'],
    [undefined, 'options.port'],
  ])('%j is PLUGIN_OPTIONS naming the plugin and %s', (options, at) => {
    let err: unknown;
    try {
      make(options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CtnrError);
    expect(err).toMatchObject({ code: 'PLUGIN_OPTIONS', plugin: 'acme:proxy' });
    expect((err as Error).message.startsWith(`${at}: `)).toBe(true);
  });

  it('the plugin sees the parsed options (defaults filled in)', async () => {
    const plugin = make({ port: 3128 });
    expect(plugin.options).toEqual({ port: 3128, host: 'localhost' });
    expect((await testPlugin(plugin)).spec!.process!.env).toContain('PROXY=localhost:3128');
  });

  it('without a schema the plugin is returned as it is', () => {
    const plugin: Plugin = { name: 'acme:x', stage: 'process', apply: () => [] };
    expect(definePlugin(plugin)).toBe(plugin);
  });
});
