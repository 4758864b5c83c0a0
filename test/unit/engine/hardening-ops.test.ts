import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/create-engine.js';
import { isCtnrError, type CtnrError } from '../../../src/engine/errors.js';
import { shippedPreset } from '../../../src/engine/reserved.js';
import type { Operation, Plugin } from '../../../src/engine/types.js';
import { TEST_ENV } from '../../helpers/engine.js';

/** Issue 16 item 5: ops the trace could not tell the truth about are refused, naming the plugin. */
const input = { name: 'web', service: {} };
const plugin = (name: string, apply: Plugin['apply'], extra: Partial<Plugin> = {}): Plugin => ({ name, stage: 'process', apply, ...extra });
// ctnr:… plugins come from a preset shipped with ctnr (marked by shippedPreset, which ctnr does not export).
const run = (...plugins: Plugin[]) =>
  createEngine({
    name: 'test',
    stages: ['process', 'annotations'],
    presets: [shippedPreset({ name: 'ctnr:fixture', plugins: plugins.filter((p) => p.name.startsWith('ctnr:')) })],
    plugins: plugins.filter((p) => !p.name.startsWith('ctnr:')),
  }).run(input, TEST_ENV);
const runError = async (...plugins: Plugin[]): Promise<CtnrError> => {
  try {
    await run(...plugins);
  } catch (err) {
    if (isCtnrError(err)) return err;
    throw err;
  }
  throw new Error('expected failure');
};
const returning = (name: string, ...ops: Operation[]) => plugin(name, () => ops, { stage: 'annotations' });

describe('an op on the whole document', () => {
  it.each<[string, Operation]>([
    ['replace', { op: 'replace', path: '', value: { ociVersion: '1.0.0' } }],
    ['add', { op: 'add', path: '', value: {} }],
    ['remove', { op: 'remove', path: '' }],
    ['move to', { op: 'move', from: '/hostname', path: '' }],
    ['copy from', { op: 'copy', from: '', path: '/x' }],
    ['test', { op: 'test', path: '', value: {} }],
  ])('%s "" is OP_INVALID naming the plugin', async (_what, op) => {
    const err = await runError(plugin('acme:root', () => [op]));
    expect(err).toMatchObject({ code: 'OP_INVALID', plugin: 'acme:root', stage: 'process', presetChain: ['test'] });
    expect(err.message).toMatch(/whole document/);
  });
});

describe('io.ctnr.* annotations', () => {
  const seed = plugin('ctnr:seed', () => [{ op: 'add', path: '/annotations', value: { 'io.ctnr.healthcheck': '{}', 'com.acme.team': 'a' } }]);

  it.each<[string, Operation[]]>([
    ['adds one', [{ op: 'add', path: '/annotations/io.ctnr.stop-grace-period', value: '1' }]],
    ['replaces one', [{ op: 'replace', path: '/annotations/io.ctnr.healthcheck', value: '{"test":["NONE"]}' }]],
    ['removes one', [{ op: 'remove', path: '/annotations/io.ctnr.healthcheck' }]],
    ['copies onto one', [{ op: 'copy', from: '/annotations/com.acme.team', path: '/annotations/io.ctnr.x' }]],
    ['moves one away', [{ op: 'move', from: '/annotations/io.ctnr.healthcheck', path: '/annotations/com.acme.hc' }]],
    ['moves onto one', [{ op: 'move', from: '/annotations/com.acme.team', path: '/annotations/io.ctnr.team' }]],
    ['writes one with an escaped pointer', [{ op: 'add', path: '/annotations/io.ctnr.a~1b', value: 'x' }]],
    ['replaces /annotations adding one', [{ op: 'replace', path: '/annotations', value: { 'io.ctnr.healthcheck': '{}', 'com.acme.team': 'a', 'io.ctnr.new': '1' } }]],
    ['replaces /annotations changing one', [{ op: 'replace', path: '/annotations', value: { 'io.ctnr.healthcheck': '{"x":1}' } }]],
    ['replaces /annotations dropping them', [{ op: 'replace', path: '/annotations', value: { 'com.acme.team': 'b' } }]],
    ['removes /annotations', [{ op: 'remove', path: '/annotations' }]],
    ['moves /annotations away', [{ op: 'move', from: '/annotations', path: '/process/annotations' }]],
  ])('a plugin not named ctnr:… that %s fails, named', async (_what, ops) => {
    const err = await runError(seed, returning('acme:sneaky', ...ops));
    expect(err).toMatchObject({ code: 'OP_INVALID', plugin: 'acme:sneaky', stage: 'annotations', presetChain: ['test'] });
    expect(err.message).toMatch(/io\.ctnr\./);
  });

  it('refuses an io.ctnr.* key in the value that creates /annotations', async () => {
    const err = await runError(returning('acme:first', { op: 'add', path: '/annotations', value: { 'io.ctnr.healthcheck': '{}' } }));
    expect(err).toMatchObject({ code: 'OP_INVALID', plugin: 'acme:first' });
  });

  it('lets other plugins write other annotations, and keep ctnr\'s when they replace the whole object', async () => {
    const result = await run(
      seed,
      returning('acme:team', { op: 'replace', path: '/annotations/com.acme.team', value: 'b' }, { op: 'add', path: '/annotations/com.acme.x', value: '1' }),
      plugin('acme:stamp', ({ spec }) => [{ op: 'replace', path: '/annotations', value: { ...spec.annotations, 'com.acme.checked': 'yes' } }], { stage: 'annotations', after: ['acme:team'] }),
      returning('acme:drop', { op: 'remove', path: '/annotations/com.acme.x' }),
    );
    expect(result.spec.annotations).toEqual({ 'io.ctnr.healthcheck': '{}', 'com.acme.team': 'b', 'com.acme.checked': 'yes' });
  });

  it('lets ctnr:… plugins write them', async () => {
    const result = await run(seed, returning('ctnr:other', { op: 'add', path: '/annotations/io.ctnr.stop-grace-period', value: '5' }));
    expect(result.spec.annotations?.['io.ctnr.stop-grace-period']).toBe('5');
  });
});

describe('values that are not JSON data', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['a function', () => ({ f: () => 1 }), /function/],
    ['a bigint', () => [1n], /bigint/],
    ['a cycle', () => {
      const a: Record<string, unknown> = {};
      a.self = a;
      return a;
    }, /nested deeper|refers to itself/],
    ['a throwing getter', () => ({
      get boom() {
        throw new Error('getter exploded');
      },
    }), /getter exploded/],
  ])('%s in a third-party plugin\'s value is OP_INVALID naming the plugin', async (_what, make, msg) => {
    const err = await runError(plugin('acme:odd', () => [{ op: 'add', path: '/hostname', value: make() }]));
    expect(err).toMatchObject({ code: 'OP_INVALID', plugin: 'acme:odd', stage: 'process' });
    expect(err.message).toMatch(msg);
  });
});

describe('move and copy', () => {
  it('put the value at a new key or index the way add does (RFC 6902 4.4, 4.5), traced at the resolved pointer', async () => {
    const result = await run(plugin('acme:mover', () => [
      { op: 'add', path: '/hostname', value: 'h' },
      { op: 'move', from: '/hostname', path: '/domainname' },
      { op: 'copy', from: '/process/env/0', path: '/process/env/-' },
    ]));
    expect(result.spec.hostname).toBeUndefined();
    expect(result.spec.domainname).toBe('h');
    expect(result.spec.process!.env).toEqual([result.spec.process!.env![0], result.spec.process!.env![0]]);
    expect(result.trace.map((t) => t.pointer)).toEqual(['/hostname', '/domainname', '/process/env/1']);
  });
});
