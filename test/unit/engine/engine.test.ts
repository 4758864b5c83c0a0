import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/create-engine.js';
import { fileContent } from '../../../src/engine/bundle-files.js';
import { shippedPreset } from '../../../src/engine/reserved.js';
import { isCtnrError, type CtnrError } from '../../../src/engine/errors.js';
import type { Plugin } from '../../../src/engine/types.js';
import { TEST_ENV } from '../../helpers/engine.js';
import { expectValidSpec } from '../../helpers/schema.js';

const input = { name: 'web', service: {} };
const stagePlugin = (name: string, apply: Plugin['apply'], extra: Partial<Plugin> = {}): Plugin => ({ name, stage: 'process', apply, ...extra });
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

describe('op checks', () => {
  it.each([
    { what: '__proto__ segment', op: { op: 'add', path: '/__proto__/polluted', value: 1 }, code: 'OP_INVALID', msg: /forbidden segment "__proto__"/ },
    { what: 'constructor segment', op: { op: 'replace', path: '/constructor/prototype/x', value: 1 }, code: 'OP_INVALID', msg: /forbidden segment "constructor"/ },
    { what: 'prototype segment in from', op: { op: 'copy', from: '/a/prototype', path: '/x' }, code: 'OP_INVALID', msg: /forbidden segment "prototype"/ },
    { what: 'unknown op', op: { op: 'merge', path: '/x', value: 1 }, code: 'OP_INVALID', msg: /unknown op "merge"/ },
    { what: 'path without slash', op: { op: 'add', path: 'x', value: 1 }, code: 'OP_INVALID', msg: /must be a JSON pointer/ },
    { what: 'add without value', op: { op: 'add', path: '/x' }, code: 'OP_INVALID', msg: /needs a value/ },
    { what: 'replace of a missing key', op: { op: 'replace', path: '/process/nope', value: 1 }, code: 'PATCH_FAILED', msg: /op 0 \(replace \/process\/nope\) does not apply: \/process\/nope does not exist/ },
    { what: 'remove of a missing key', op: { op: 'remove', path: '/linux/nothing' }, code: 'PATCH_FAILED', msg: /does not exist/ },
    { what: 'add below a missing parent', op: { op: 'add', path: '/a/b/c', value: 1 }, code: 'PATCH_FAILED', msg: /parent of \/a\/b\/c does not exist/ },
    { what: 'array index past the end', op: { op: 'add', path: '/process/args/5', value: 'x' }, code: 'PATCH_FAILED', msg: /past the end/ },
    { what: 'failed test op', op: { op: 'test', path: '/process/cwd', value: '/nope' }, code: 'PATCH_FAILED', msg: /op 0/ },
  ])('$what → $code', async ({ op, code, msg }) => {
    const err = await runError(stagePlugin('acme:bad', () => [op as never]));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(msg);
    expect(err.plugin).toBe('acme:bad');
    expect(err.stage).toBe('process');
    expect(err.presetChain).toEqual(['test']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    { op: { op: 'add', path: '/annotations/__proto__', value: { polluted: 1 } } },
    { op: { op: 'add', path: '/process/__proto__', value: { polluted: 1 } } },
    { op: { op: 'add', path: '/__proto__/polluted', value: 1 } },
  ])("a plugin of ctnr's own (no shape check) still cannot write $op.path", async ({ op }) => {
    const own: Plugin = { name: 'ctnr:bad', stage: 'process', apply: () => [{ op: 'add', path: '/annotations', value: {} }, op as never] };
    const engine = createEngine({ name: 'test', stages: ['process'], presets: [shippedPreset({ name: 'ctnr:own', plugins: [own] })] });
    expect(engine.plan.stages[0]!.plugins[0]!.builtin).toBe(true);
    const err = await engine.run(input, TEST_ENV).then(() => undefined, (e: CtnrError) => e);
    expect(err?.code).toBe('PATCH_FAILED');
    expect(err?.message).toMatch(/forbidden segment "__proto__"|does not exist/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names the index of the failing op, not 0', async () => {
    const err = await runError(stagePlugin('acme:bad', () => [
      { op: 'add', path: '/hostname', value: 'a' },
      { op: 'replace', path: '/domainname', value: 'x' },
    ]));
    expect(err.message).toMatch(/^op 1 \(replace \/domainname\)/);
  });

  it('a plugin that mutates the spec instead of returning ops fails in strict mode', async () => {
    const engine = createEngine({ name: 'test', stages: ['process'], strict: true, plugins: [stagePlugin('acme:mutator', ({ spec }) => {
      (spec as { hostname?: string }).hostname = 'sneaky';
      return [];
    })] });
    await expect(engine.run(input, TEST_ENV)).rejects.toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:mutator' });
  });

  it('a plugin that throws is named with its stage and preset chain', async () => {
    const err = await runError(stagePlugin('acme:boom', () => {
      throw new Error('kaput');
    }));
    expect(err).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'acme:boom', stage: 'process', presetChain: ['test'] });
    expect(err.message).toContain('kaput');
  });

  it('errors reported through ctx.error are collected and fail the service after the plugin', async () => {
    const err = await runError(stagePlugin('acme:strict', ({ error }) => {
      error('first problem', ['cap_add', 0]);
      error('second problem', 'ports[1]');
      return [];
    }));
    expect(err.code).toBe('SERVICE_INVALID');
    expect(err.path).toBe('services.web.cap_add[0]');
    expect(err.details).toEqual(['services.web.ports[1]: second problem']);
  });

  it('async plugins are awaited', async () => {
    const result = await engineWith(stagePlugin('acme:async', async () => [{ op: 'add', path: '/hostname', value: 'later' }])).run(input, TEST_ENV);
    expect(result.spec.hostname).toBe('later');
  });
});

describe('trace', () => {
  const setArgs = stagePlugin('acme:args', () => [{ op: 'replace', path: '/process/args', value: ['a'] }]);
  const pushArg = stagePlugin('acme:push', () => [{ op: 'add', path: '/process/args/-', value: 'b' }], { after: ['acme:args'] });
  const reArgs = stagePlugin('acme:override', () => [{ op: 'replace', path: '/process/args', value: ['z'] }], { stage: 'mounts' });

  it('records plugin, stage, chain, op, resolved pointer and what was overridden', async () => {
    const result = await engineWith(setArgs, pushArg, reArgs).run(input, TEST_ENV);
    expect(result.spec.process!.args).toEqual(['z']);
    expect(result.trace.map((t) => [t.plugin, t.stage, t.pointer, t.overrode])).toEqual([
      ['acme:args', 'process', '/process/args', 'ctnr:base'],
      ['acme:push', 'process', '/process/args/1', undefined],
      ['acme:override', 'mounts', '/process/args', 'acme:args'],
    ]);
    expect(result.trace[0]!.presetChain).toEqual(['test']);
  });

  it.each([3, 16, 17, 40])('knows who wrote each of %i items appended one by one, and who wrote over one', async (n) => {
    // The object is acme:base's, each item acme:fill's: finding the wrong node would name acme:base.
    const base = stagePlugin('acme:base', () => [{ op: 'add', path: '/annotations', value: {} }]);
    const fill = stagePlugin('acme:fill', () => Array.from({ length: n }, (_, i) => ({ op: 'add' as const, path: `/annotations/k${i}`, value: String(i) })), { after: ['acme:base'] });
    const over = stagePlugin('acme:over', () => [0, n - 1].map((i) => ({ op: 'replace' as const, path: `/annotations/k${i}`, value: 'x' })), { stage: 'mounts' });
    const result = await engineWith(base, fill, over).run(input, TEST_ENV);
    const writes = result.trace.filter((t) => t.plugin === 'acme:over').map((t) => [t.pointer, t.overrode]);
    expect(writes).toEqual([[`/annotations/k0`, 'acme:fill'], [`/annotations/k${n - 1}`, 'acme:fill']]);
    expect(result.blame('/annotations/k0').map((t) => t.plugin)).toEqual(['acme:base', 'acme:fill', 'acme:over']);
  });

  it('blame(pointer) lists the history of a pointer, its parents and children', async () => {
    const result = await engineWith(setArgs, pushArg, reArgs, stagePlugin('acme:host', () => [{ op: 'add', path: '/hostname', value: 'h' }])).run(input, TEST_ENV);
    expect(result.blame('/process/args').map((t) => t.plugin)).toEqual(['acme:args', 'acme:push', 'acme:override']);
    expect(result.blame('/process/args/1').map((t) => t.plugin)).toEqual(['acme:args', 'acme:push', 'acme:override']);
    expect(result.blame('/hostname').map((t) => t.plugin)).toEqual(['acme:host']);
    expect(result.blame('/linux')).toEqual([]);
  });

  it('bundle files are collected sorted by path with their plugin', async () => {
    const result = await engineWith(stagePlugin('acme:files', () => ({ ops: [], files: [{ path: 'etc/z', content: 'z' }, { path: 'etc/a', content: 'a' }] }))).run(input, TEST_ENV);
    expect(result.files.map((f) => [f.path, f.plugin])).toEqual([['etc/a', 'acme:files'], ['etc/z', 'acme:files']]);
  });

  it.each([
    { path: '../escape', msg: /relative/ },
    { path: '/abs', msg: /relative/ },
    { path: 'config.json', msg: /reserved/ },
  ])('refuses bundle file path $path', async ({ path, msg }) => {
    const err = await runError(stagePlugin('acme:files', () => ({ files: [{ path, content: 'x' }] })));
    expect(err.code).toBe('OP_INVALID');
    expect(err.message).toMatch(msg);
  });

  it("keeps its own copy of a json file's data: the plugin changing it afterwards changes nothing", async () => {
    const data = { a: [1, 2], b: 'x' };
    const result = await engineWith(stagePlugin('acme:files', () => ({ files: [{ path: 'etc/data.json', json: data }] }))).run(input, TEST_ENV);
    data.a.push(3);
    data.b = 'changed';
    expect(fileContent(result.files[0]!)).toBe('{"a":[1,2],"b":"x"}\n');
  });

  it.each([
    { what: 'content and json', file: { path: 'f', content: 'x', json: {} }, msg: /exactly one of content, json or copyFrom/ },
    { what: 'a directory with json', file: { path: 'd', kind: 'directory', json: [] }, msg: /a directory has no content/ },
    { what: 'json holding a function', file: { path: 'f', json: { f: () => 1 } }, msg: /bundle file "f": json holds a function/ },
  ])('refuses a bundle file with $what', async ({ file, msg }) => {
    const err = await runError(stagePlugin('acme:files', () => ({ files: [file as never] })));
    expect(err.code).toBe('OP_INVALID');
    expect(err.message).toMatch(msg);
  });
});

describe('base spec', () => {
  it('is fresh for every service and valid on its own', async () => {
    const engine = engineWith(stagePlugin('acme:args', () => [{ op: 'add', path: '/process/args/-', value: 'x' }]));
    const a = await engine.run(input, TEST_ENV);
    const b = await engine.run(input, TEST_ENV);
    expect(a.spec.process!.args).toEqual(['x']);
    expect(b.spec.process!.args).toEqual(['x']);
    expect(a.spec.mounts).not.toBe(b.spec.mounts);
    expectValidSpec(a.spec);
  });

  it('taps one tapable hook per stage in the computed order', async () => {
    const seen: string[] = [];
    const mk = (name: string, extra: Partial<Plugin> = {}) => stagePlugin(name, () => (seen.push(name), []), extra);
    await engineWith(mk('c', { enforce: 'post' }), mk('b', { stage: 'mounts' }), mk('a')).run(input, TEST_ENV);
    expect(seen).toEqual(['a', 'c', 'b']);
  });
});
