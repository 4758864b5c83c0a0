import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedTransform, type TransformOptions } from '../../../src/config/transpile-cache.js';

/** What a cached transform gives back and how often the real transform ran for it. */
let calls: number;
const transform = (opts: TransformOptions) => {
  calls++;
  return `/* transpiled ${opts.async ? 'async' : 'sync'} */ ${opts.source}`;
};
const root = process.getuid?.() === 0;
const NOBODY = 65534;

let dir: string;
let cache: string;
beforeEach(() => {
  calls = 0;
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-transpile-'));
  cache = path.join(dir, 'cache');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const opts = (over: Partial<TransformOptions> = {}): TransformOptions => ({ source: 'export const a = 1;', filename: '/p/ctnr.config.ts', ts: true, async: true, babel: {}, ...over });
const entries = () => readdirSync(cache).filter((n) => !n.endsWith('.tmp'));

describe('cachedTransform', () => {
  it('transforms once; the same file, source and options come from the cache (a private file in a 0700 directory)', () => {
    const t = cachedTransform(cache, '2.7.0', transform);
    const first = t(opts());
    expect(t(opts())).toEqual(first);
    expect(calls).toBe(1);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    expect(entries()).toHaveLength(1);
    expect(statSync(path.join(cache, entries()[0]!)).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['another source', opts({ source: 'export const a = 2;' })],
    ['another file', opts({ filename: '/p/other.ts' })],
    ['other options', opts({ async: false })],
    ['other babel options', opts({ babel: { sourceMaps: 'inline' } })],
  ])('%s: transformed again', (_what, other) => {
    const t = cachedTransform(cache, '2.7.0', transform);
    t(opts());
    expect(t(other).code).toBe(transform(other));
    expect(calls).toBe(3);
  });

  it("another jiti version's code is not reused", () => {
    cachedTransform(cache, '2.7.0', transform)(opts());
    cachedTransform(cache, '2.8.0', transform)(opts());
    expect(calls).toBe(2);
  });

  it('an edited file replaces its entry (one entry per file and options)', () => {
    const t = cachedTransform(cache, '2.7.0', transform);
    t(opts());
    t(opts({ source: 'export const a = 2;' }));
    expect(entries()).toHaveLength(1);
    expect(t(opts({ source: 'export const a = 2;' })).code).toContain('a = 2');
    expect(calls).toBe(2);
  });

  it("jiti's error code (a syntax error) is not kept: the fixed file is transpiled again", () => {
    const failing = (o: TransformOptions) => {
      calls++;
      return `throw new Error("__JITI_ERROR__ ${o.source}")`;
    };
    const t = cachedTransform(cache, '2.7.0', failing);
    t(opts());
    t(opts());
    expect(calls).toBe(2);
    expect(readdirSync(dir)).not.toContain('cache');
  });

  it('no cache directory, no file name, or options that are not plain data: transformed every time, nothing written', () => {
    cachedTransform(undefined, '2.7.0', transform)(opts());
    const t = cachedTransform(cache, '2.7.0', transform);
    t(opts({ filename: undefined }));
    t(opts({ babel: { plugins: [() => ({})] } }));
    t(opts({ babel: { plugins: [() => ({})] } }));
    expect(calls).toBe(4);
    expect(readdirSync(dir)).not.toContain('cache');
  });

  it('an entry that does not hold the source it is used for is not used (a hash collision, a damaged file)', () => {
    const t = cachedTransform(cache, '2.7.0', transform);
    t(opts());
    const file = path.join(cache, entries()[0]!);
    const entry = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...entry, source: 'something else', code: 'planted()' }));
    expect(t(opts()).code).not.toContain('planted');
    writeFileSync(file, '{"code": "planted()"');
    expect(t(opts()).code).not.toContain('planted');
    expect(calls).toBe(3);
  });

  describe.skipIf(!root)('what another user could have written is never run', () => {
    /** The first call's entry, rewritten to plant code, then given `how`. */
    function planted(how: (file: string) => void): string {
      cachedTransform(cache, '2.7.0', transform)(opts());
      const file = path.join(cache, entries()[0]!);
      const entry = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...entry, code: 'planted()' }));
      how(file);
      return cachedTransform(cache, '2.7.0', transform)(opts()).code;
    }

    it('the planted entry itself is used when it is the user own (the control)', () => {
      expect(planted(() => {})).toBe('planted()');
    });

    it.each([
      ["an entry of another user's", (file: string) => chownSync(file, NOBODY, NOBODY)],
      ['an entry others can write', (file: string) => chmodSync(file, 0o666)],
      ['an entry its group can write', (file: string) => chmodSync(file, 0o620)],
    ])('%s', (_what, how) => {
      expect(planted(how)).not.toContain('planted');
      expect(calls).toBe(2);
    });

    it.each([
      ["a directory of another user's", () => chownSync(cache, NOBODY, NOBODY)],
      ['a directory others can write', () => chmodSync(cache, 0o777)],
      ['a symbolic link to a directory others can write', () => {
        const open = path.join(dir, 'open');
        mkdirSync(open, { mode: 0o777 });
        chmodSync(open, 0o777);
        rmSync(cache, { recursive: true });
        symlinkSync(open, cache);
      }],
    ])('%s: neither read nor written', (_what, how) => {
      const t = cachedTransform(cache, '2.7.0', transform);
      t(opts());
      how();
      const before = readdirSync(cache).length;
      t(opts({ source: 'export const b = 1;' }));
      t(opts({ source: 'export const b = 1;' }));
      expect(calls).toBe(3);
      expect(readdirSync(cache)).toHaveLength(before);
    });
  });
});
