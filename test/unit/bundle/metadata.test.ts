import { describe, expect, it } from 'vitest';
import { inputDigest, type DigestInputs } from '../../../src/bundle/metadata.js';

const base: DigestInputs = { composeBytes: 'services:\n  a: {}\n', service: 'a', configBytes: '{}', options: { rootless: false, rootfs: { kind: 'directory', path: '/r' } } };

describe('inputDigest', () => {
  it('is a sha256 and the same for the same inputs, whatever the key order of the options', () => {
    const d = inputDigest(base);
    expect(d).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(inputDigest({ ...base, options: { rootfs: { path: '/r', kind: 'directory' }, rootless: false } })).toBe(d);
  });

  it.each<[string, Partial<DigestInputs>]>([
    ['compose bytes', { composeBytes: 'services:\n  a: {} \n' }],
    ['service', { service: 'b' }],
    ['config bytes', { configBytes: '{"x":1}' }],
    ['no config', { configBytes: undefined }],
    ['rootless', { options: { ...base.options, rootless: true } }],
    ['rootfs', { options: { ...base.options, rootfs: { kind: 'directory', path: '/other' } } }],
  ])('changes with %s', (_what, change) => {
    expect(inputDigest({ ...base, ...change })).not.toBe(inputDigest(base));
  });

  it('cannot be fooled by moving bytes between parts', () => {
    expect(inputDigest({ composeBytes: 'ab', service: 'c' })).not.toBe(inputDigest({ composeBytes: 'a', service: 'bc' }));
  });
});
