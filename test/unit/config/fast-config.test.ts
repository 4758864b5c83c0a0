import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKED_KEYS, fastConfig, fastConfigKeys } from '../../../src/config/fast-config.js';
import { validateConfig } from '../../../src/config/load.js';
import { configSchemas } from '../../../src/config/schema.js';
import { fingerprintHash, schemaFingerprint } from '../../../src/engine/schema-fingerprint.js';
import { definePlugin } from '../../../src/engine/define.js';
import { formatError, isCtnrError } from '../../../src/engine/errors.js';
import { defaultPreset } from '../../../presets/default.js';
import { rootlessPreset } from '../../../presets/rootless.js';
import { restrictedPreset } from '../../../presets/restricted.js';
import { canon } from '../../helpers/canon.js';

/**
 * validateConfig's fast path (src/config/fast-config.ts) must give exactly what the zod schema gives, or step aside:
 * wherever fastConfig answers, the schema accepts the config and validateConfig's zod path gives the same values
 * in the same key order. And every config it steps aside for still gets zod's error.
 */

const { configSchema } = configSchemas();

/** validateConfig without the fast path: the schema's output, with the presets as given. */
function byZod(raw: unknown): { ok: true; value: unknown } | { ok: false } {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) return { ok: false };
  const given = (raw as { presets?: unknown }).presets;
  return { ok: true, value: given === undefined ? parsed.data : { ...parsed.data, presets: given } };
}

let answered = 0;

/** fastConfig answers only where zod agrees exactly; returns whether it answered. */
function agrees(raw: unknown, label: string): boolean {
  const fast = fastConfig(raw);
  if (fast === undefined) return false;
  const zod = byZod(raw);
  expect(zod.ok, `${label}: the fast path accepted what zod refuses`).toBe(true);
  expect(canon(fast), label).toEqual(canon((zod as { value: unknown }).value));
  answered++;
  return true;
}

const motd = definePlugin({ name: 'acme:motd', stage: 'process', after: ['ctnr:env'], apply: () => [] });
const check = definePlugin({ name: 'acme:check', stage: 'process', validate: () => [] });

/** Values every checked key is tried with: valid ones, invalid ones and the corners. */
const VALUES: unknown[] = [
  undefined, null, true, 0, 1, '', 'x', 'default', 'ctnr:args', [], [''], ['x'], ['x', ''], ['x', 1], [null], [undefined], 'a b',
  [motd], [motd, check], [{ name: 'p', stage: 'process' }], [{ name: '', stage: 'process', apply: () => [] }], [{ ...motd, enforce: 'middle' }],
  [{ ...motd, before: 'ctnr:env' }], [{ ...motd, timeoutMs: 0 }], [motd, 'x'],
  [{ name: 's' }], [{ name: 's', after: 'process' }], [{ after: 'process', name: 's' }], [{ name: 's', before: 'a', after: 'b' }], [{ name: 's', before: '' }],
  [{ name: 's', other: 1 }], [{ name: 's', before: undefined }], [{ name: '' }], [{ name: 1 }],
  [defaultPreset()], [rootlessPreset({ uid: 1000 })], ['default', defaultPreset()], [{ name: 'p' }], [{ name: 'p', plugins: [motd], own: 1 }],
  [{ name: 'p', presets: [{ name: 'q', disable: ['x'] }] }], [{ name: 'p', presets: [{ name: '' }] }], [{ name: 'p', plugins: [{}] }],
  [{ name: 'p', stages: ['s', { name: 't', after: 's' }] }], [{ name: 'p', stages: [{ name: 't', x: 1 }] }], [{ plugins: [] }],
  { name: 'p' }, { 0: 'x' }, new Date(0), Object.create({ name: 'p' }), [Object.create({ name: 's' })], [Object.assign(Object.create({ after: 'x' }), { name: 's' })],
];

describe('the fast path of the config schema', () => {
  it('every check is in use: the schema of each checked key still has the structure its check mirrors', () => {
    const shape = configSchema.shape as Record<string, unknown>;
    const off = CHECKED_KEYS.filter((k) => !fastConfigKeys().includes(k)).map((k) => `${k}: the schema is now ${fingerprintHash(schemaFingerprint(shape[k]))} ${schemaFingerprint(shape[k])}`);
    // A schema of config/schema.ts changed under a check of fast-config.ts: make sure the check still gives what the
    // schema gives (this file's tables), then put the new hash beside it.
    expect(off, 'checks switched off by a changed schema').toEqual([]);
  });

  it.each([
    ["README's config", { presets: ['default'], plugins: [motd] }],
    ["this repository's config", { plugins: [motd] }],
    ['presets by value, and strings', { presets: [defaultPreset(), rootlessPreset({ uid: 1000, gid: 1000 })], disable: ['ctnr:args'], dataDir: '/var/lib/x', pullPolicy: 'never', builder: 'podman' }],
    ['a policy preset by value', { presets: ['default', restrictedPreset({ fix: true })] }],
    ['a key given as undefined (an unset environment variable)', { plugins: [check], dataDir: undefined }],
    ['stages by name and with an order', { stages: ['audit', { name: 'late', after: 'hooks' }], plugins: [{ ...check, stage: 'audit' }] }],
    ['keys in another order than the schema', { builder: 'docker', disable: [], plugins: [], presets: [] }],
    ['nothing', {}],
  ])('%s takes the fast path, with what zod gives', (label, raw) => {
    expect(agrees(raw, label)).toBe(true);
  });

  it('the output has the schema key order and new arrays; the presets are the ones given', () => {
    const presets = [defaultPreset()];
    const disable = ['x'];
    const out = fastConfig({ disable, dataDir: '/d', presets })!;
    expect(Object.keys(out)).toEqual(['presets', 'disable', 'dataDir']);
    expect(out.presets).toBe(presets);
    expect(out.disable).not.toBe(disable);
  });

  it.each([
    ['images', { images: { 'app:1': { rootfs: './rootfs' } } }],
    ['registries', { registries: { 'docker.io': { mirrors: ['mirror.internal'] } } }],
    ['init', { init: { path: '/usr/bin/tini' } }],
    ['policy', { policy: { exemptions: [] } }],
    ['cdi', { cdi: { specDirs: ['./cdi'] } }],
    ['an unknown key', { plugin: [motd] }],
    ['__proto__ as a key', JSON.parse('{"__proto__": {"dataDir": "/x"}, "disable": []}')],
    ['not an object', ['default']],
    ['a stage with an undefined order', { stages: [{ name: 's', before: undefined }] }],
    ['a config made by a class (zod reads its getters)', new (class { get plugins() { return [motd]; } })()],
    ['a config with inherited keys', Object.create({ dataDir: '/x' })],
    ['a stage with inherited keys', { stages: [Object.assign(Object.create({ after: 'hooks' }), { name: 's' })] }],
    ['a preset made by a class', { presets: [new (class { name = 'p'; })()] }],
    ['a preset within itself', (() => {
      const p: { name: string; presets: unknown[] } = { name: 'p', presets: [] };
      p.presets.push({ name: 'q', presets: [p] });
      return { presets: [p] };
    })()],
  ])('steps aside for %s (zod decides)', (_, raw) => {
    expect(fastConfig(raw)).toBeUndefined();
  });

  it.each([
    ['an empty preset name', { presets: [''] }, 'presets[0]'],
    ['a plugin without apply or validate', { plugins: [{ name: 'p', stage: 'process' }] }, 'plugins[0]'],
    ['a preset with a nameless nested preset', { presets: [{ name: 'p', presets: [{ name: '' }] }] }, 'presets[0].presets[0].name'],
    ['a stage object with an unknown key', { stages: [{ name: 's', x: 1 }] }, 'stages[0]'],
    ['an empty data dir', { dataDir: '' }, 'dataDir'],
  ])('%s: zod\'s located error, as before', (_, raw, where) => {
    expect(fastConfig(raw)).toBeUndefined();
    let err: unknown;
    try {
      validateConfig(raw, 'ctnr.config.ts');
    } catch (e) {
      err = e;
    }
    expect(isCtnrError(err) && err.code).toBe('CONFIG_INVALID');
    expect(formatError(err as Error)).toContain(where);
  });

  it('every checked key with every value of the table', () => {
    let taken = 0;
    for (const key of CHECKED_KEYS) {
      for (const [i, value] of VALUES.entries()) if (agrees({ [key]: value }, `${key} = VALUES[${i}]`)) taken++;
    }
    // Each key takes some values (the table is not all refusals).
    expect(taken).toBeGreaterThan(CHECKED_KEYS.length * 3);
  });

  it('generated configs: where the fast path answers, zod agrees', () => {
    const value = fc.constantFrom(...VALUES);
    const keys = [...CHECKED_KEYS, 'images', 'other'];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 4 }), (raw) => {
        agrees(raw, JSON.stringify(Object.keys(raw)));
      }),
      { numRuns: 2000, seed: 14 },
    );
    expect(answered).toBeGreaterThan(100);
  });
});
