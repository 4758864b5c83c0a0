import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/create-engine.js';
import { isCtnrError, type CtnrError } from '../../../src/engine/errors.js';
import type { Operation, Plugin, PluginContext, TraceEntry } from '../../../src/engine/types.js';
import { shippedPreset } from '../../../src/engine/reserved.js';
import { TEST_ENV } from '../../helpers/engine.js';

/**
 * Issue 16 item 5: the trace never lies. Plugins see a spec they cannot change (without strict mode), and the
 * trace keeps what each plugin wrote whatever happens to the spec afterwards.
 */
const input = { name: 'web', service: {} };
const plugin = (name: string, apply: Plugin['apply'], extra: Partial<Plugin> = {}): Plugin => ({ name, stage: 'process', apply, ...extra });
const engineWith = (...plugins: Plugin[]) => createEngine({ name: 'test', stages: ['process', 'mounts'], plugins });
const runError = async (...plugins: Plugin[]): Promise<CtnrError> => {
  try {
    await engineWith(...plugins).run(input, TEST_ENV);
  } catch (err) {
    if (isCtnrError(err)) return err;
    throw err;
  }
  throw new Error('expected failure');
};

const setArgs = plugin('acme:args', () => [{ op: 'replace', path: '/process/args', value: ['a'] }]);

describe("a plugin from outside ctnr cannot change the service's inputs", () => {
  // ctnr's own plugins read these after it: a change would show in the spec with the trace blaming them for it.
  const service = { privileged: false, environment: [['A', '1']] as Array<[string, string]>, labels: { app: 'web' } };
  const richInput = { name: 'web', service, project: { name: 'p', volumes: { data: {} } } };
  const env = { ...TEST_ENV, extra: { registry: new Map([['a', 1]]) } };
  it.each<[string, string, (ctx: PluginContext) => void]>([
    ['ctx.service', 'sets a key', ({ service }) => void ((service as any).privileged = true)],
    ['ctx.service', 'pushes into a list', ({ service }) => void (service.environment as any).push(['B', '2'])],
    ['ctx.service', 'changes a nested value', ({ service }) => void ((service.labels as any).app = 'other')],
    ['ctx.project', 'adds a volume', ({ project }) => void ((project.volumes as any).other = {})],
    ['ctx.env', 'turns rootless on', ({ env }) => void ((env as any).rootless = true)],
    ['ctx.source', 'moves the directory relative paths resolve against', ({ source }) => void ((source as any).dir = '/etc')],
    ['ctx.files', 'adds a bundle file', ({ files }) => void (files as any).set('x', { path: 'x', content: 'y' })],
  ])('%s: fails the plugin that %s, and nothing changed', async (label, _what, mutate) => {
    const mutator = plugin('acme:mutator', (ctx) => {
      try {
        mutate(ctx);
      } catch {
        /* swallowed: the engine still knows */
      }
      return [];
    });
    const err = await engineWith(mutator).run(richInput, env).then(() => undefined, (e: CtnrError) => e);
    expect(err).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:mutator' });
    expect(err!.message).toContain(`${label} is read-only`);
    expect(service).toEqual({ privileged: false, environment: [['A', '1']], labels: { app: 'web' } });
    expect(richInput.project.volumes).toEqual({ data: {} });
    expect(env.rootless).toBe(false);
  });

  it('reads them as plain data; a Map in env.extra still works; ctnr\'s own plugins after it see the real objects', async () => {
    const seen: unknown[] = [];
    const reader = plugin('acme:reader', ({ service, project, env, files }) => {
      seen.push(service.environment?.map(([k, v]) => `${k}=${v}`), Object.keys(project.volumes), (env.extra!.registry as Map<string, number>).get('a'), files.size, [...files.keys()]);
      return { ops: [], files: [{ path: 'acme/x', content: 'x' }] };
    });
    const own: Plugin = { name: 'ctnr:after', stage: 'process', after: ['acme:reader'], apply: (ctx) => (seen.push(ctx.service === service, ctx.files.get('acme/x')?.content), []) };
    await createEngine({ name: 'test', stages: ['process'], plugins: [reader], presets: [shippedPreset({ name: 'ctnr:own', plugins: [own] })] }).run(richInput, env);
    expect(seen).toEqual([['A=1'], ['data'], 1, 0, [], true, 'x']);
  });
});

describe('a plugin cannot change ctx.spec', () => {
  const mutations: Array<[string, (ctx: PluginContext) => void]> = [
    ['assigns a top-level key', ({ spec }) => void ((spec as any).hostname = 'sneaky')],
    ['pushes into an array', ({ spec }) => void (spec as any).process.args.push('sneaky')],
    ['deletes a key', ({ spec }) => void delete (spec as any).process.cwd],
    ['defines a property', ({ spec }) => void Object.defineProperty((spec as any).process, 'x', { value: 1, enumerable: true })],
    ['assigns with Object.assign', ({ spec }) => void Object.assign((spec as any).linux, { sysctl: { a: '1' } })],
    ['sorts an array in place', ({ spec }) => void (spec as any).mounts.sort()],
    ['changes a prototype', ({ spec }) => void Object.setPrototypeOf(spec, null)],
    ['changes a value an earlier op inserted, through ctx.trace', ({ trace }) => void (trace[0]!.op as any).value.push('sneaky')],
  ];

  it.each(mutations)('fails the plugin that %s, naming it and its preset chain', async (_what, mutate) => {
    const err = await runError(setArgs, plugin('acme:mutator', (ctx) => (mutate(ctx), [])));
    expect(err).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:mutator', stage: 'process', presetChain: ['test'] });
    expect(err.message).toMatch(/ctx\.spec|read-only|return ops/);
  });

  it('fails the plugin even when it catches the error', async () => {
    const err = await runError(plugin('acme:sly', ({ spec }) => {
      try {
        (spec as any).hostname = 'sneaky';
      } catch {
        /* swallowed */
      }
      return [];
    }));
    expect(err).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:sly' });
    expect(err.message).toContain('"hostname"');
  });

  it('holds for plugins of third-party presets, with their preset chain', async () => {
    const engine = createEngine({ name: 'ctnr.config.ts', stages: ['process'], presets: [{ name: 'acme:preset', plugins: [plugin('acme:mutator', ({ spec }) => ((spec as any).process.env.push('X=1'), []))] }] });
    await expect(engine.run(input, TEST_ENV)).rejects.toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:mutator', presetChain: ['ctnr.config.ts', 'acme:preset'] });
  });

  it('fails an async plugin that mutates after an await', async () => {
    const err = await runError(plugin('acme:later', async ({ spec }) => {
      await new Promise((r) => setTimeout(r, 1));
      (spec as any).process.env.push('X=1');
      return [];
    }));
    expect(err).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:later' });
  });

  it('fails a validator that mutates the spec', async () => {
    const err = await runError(setArgs, { name: 'acme:validator', stage: 'mounts', validate: ({ spec }) => ((spec as any).process.args.push('x'), []) });
    expect(err).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:validator' });
  });

  it('reading works as on a plain object: identity, arrays, spread, JSON', async () => {
    let checked = false;
    await engineWith(setArgs, plugin('acme:reader', ({ spec }) => {
      expect(spec.process).toBe(spec.process);
      expect(spec.mounts![0]).toBe(spec.mounts![0]);
      expect(Array.isArray(spec.mounts)).toBe(true);
      expect([...spec.process!.args!]).toEqual(['a']);
      expect({ ...spec.process!.user }).toEqual({ uid: 0, gid: 0 });
      expect(JSON.parse(JSON.stringify(spec)).process.args).toEqual(['a']);
      expect(Object.keys(spec)).toContain('process');
      expect('linux' in spec).toBe(true);
      checked = true;
      return [];
    }, { after: ['acme:args'] })).run(input, TEST_ENV);
    expect(checked).toBe(true);
  });

  it('ops built from parts of ctx.spec put plain, independent copies in the document', async () => {
    const result = await engineWith(
      setArgs,
      // The mounts, reversed: the elements are read-only views of the current mounts.
      plugin('acme:reverse', ({ spec }) => [{ op: 'replace', path: '/mounts', value: [...spec.mounts!].reverse() }], { after: ['acme:args'] }),
      // The args array itself (a view), somewhere else.
      plugin('acme:alias', ({ spec }) => [{ op: 'add', path: '/process/env', value: spec.process!.args }], { after: ['acme:reverse'] }),
      plugin('acme:later', () => [{ op: 'add', path: '/mounts/0/options/-', value: 'ro' }, { op: 'add', path: '/process/args/-', value: 'b' }], { stage: 'mounts' }),
    ).run(input, TEST_ENV);
    expect(result.spec.mounts![0]!.options).toContain('ro');
    expect(result.spec.process!.args).toEqual(['a', 'b']);
    expect(result.spec.process!.env).toEqual(['a']);
    // The caller owns the result: it can change it, and that changes no trace entry.
    result.spec.process!.args!.push('c');
    result.spec.hostname = 'mine';
    result.spec.mounts![0]!.options!.push('x');
    expect(result.spec.hostname).toBe('mine');
    expect(result.trace.find((t) => t.plugin === 'acme:alias')!.op).toEqual({ op: 'add', path: '/process/env', value: ['a'] });
    expect(result.trace.find((t) => t.plugin === 'acme:reverse')!.op).toMatchObject({ value: expect.not.arrayContaining([expect.objectContaining({ options: expect.arrayContaining(['x']) })]) });
  });
});

describe('trace entries hold their own copies', () => {
  it('a later plugin appending to an array does not change the first entry', async () => {
    const result = await engineWith(setArgs, plugin('acme:push', () => [{ op: 'add', path: '/process/args/-', value: 'b' }], { after: ['acme:args'] })).run(input, TEST_ENV);
    expect(result.spec.process!.args).toEqual(['a', 'b']);
    expect(result.trace[0]!.op).toEqual({ op: 'replace', path: '/process/args', value: ['a'] });
  });

  const keeper = (kept: { op?: Operation & { value: string[] } }) =>
    plugin('acme:keeper', () => {
      kept.op = { op: 'replace', path: '/process/args', value: ['a'] };
      return [kept.op];
    });

  it('a plugin changing its op or value after returning it changes neither the spec nor the trace', async () => {
    const kept: { op?: Operation & { value: string[] } } = {};
    const result = await engineWith(
      keeper(kept),
      plugin('acme:meddler', () => {
        kept.op!.path = '/hostname';
        kept.op!.value.push('sneaky');
        return [];
      }, { after: ['acme:keeper'] }),
    ).run(input, TEST_ENV);
    expect(result.spec.process!.args).toEqual(['a']);
    expect(result.spec.hostname).toBeUndefined();
    expect(result.trace[0]!.op).toEqual({ op: 'replace', path: '/process/args', value: ['a'] });
  });

  it('trace entries cannot be changed through ctx.trace', async () => {
    const err = await runError(setArgs, plugin('acme:forger', ({ trace }) => {
      (trace[0] as { plugin: string }).plugin = 'someone-else';
      return [];
    }, { after: ['acme:args'] }));
    expect(err).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:forger' });
    const err2 = await runError(setArgs, plugin('acme:forger', ({ trace }) => ((trace as TraceEntry[]).push({ ...trace[0]!, plugin: 'x' }), []), { after: ['acme:args'] }));
    expect(err2).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:forger' });
  });

  it('a value shared by several services (a plugin constant) is never changed by later ops', async () => {
    const DEFAULTS = ['PATH=/bin'];
    const engine = engineWith(
      plugin('acme:defaults', () => [{ op: 'replace', path: '/process/env', value: DEFAULTS }]),
      plugin('acme:more', () => [{ op: 'add', path: '/process/env/-', value: 'X=1' }], { after: ['acme:defaults'] }),
    );
    const a = await engine.run(input, TEST_ENV);
    const b = await engine.run(input, TEST_ENV);
    expect(DEFAULTS).toEqual(['PATH=/bin']);
    expect(b.spec.process!.env).toEqual(['PATH=/bin', 'X=1']);
    expect(a.trace[0]!.op).toMatchObject({ value: ['PATH=/bin'] });
  });
});
