import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composeCache } from '../../../src/compose/parse-cache.js';
import { parseComposeYaml, RESET } from '../../../src/compose/yaml.js';

/** A compose text with a comment, so that one-character changes elsewhere leave it distinct. */
const padded = (yaml: string) => `${yaml}\n# ${'-'.repeat(600)}\n`;

const RESETS = padded(`services:
  web:
    image: nginx
    ports: !reset []
    environment:
      KEEP: "1"
      DROP: !reset null
    command: !override ["a", "b"]
  constructor:
    image: busybox
`);

describe('the cache of parsed compose files (src/compose/parse-cache.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'ctnr-parse-cache-')), 'compose');
  });
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('gives back what the parse gave, !reset markers, merge tags and all, and locates keys by parsing again', () => {
    const first = parseComposeYaml(RESETS, 'compose.yaml', composeCache(dir, 'b1'));
    const [entry, ...others] = readdirSync(dir);
    expect(others).toEqual([]);
    expect(entry).toMatch(/^compose-b1-[0-9a-f]{16}\.json$/);
    expect(statSync(path.join(dir, entry!)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const again = parseComposeYaml(RESETS, 'compose.yaml', composeCache(dir, 'b1'));
    expect(again.raw).toEqual(first.raw);
    const web = (again.raw.services as Record<string, Record<string, unknown>>).web!;
    expect(web.ports).toBe(RESET);
    expect((web.environment as Record<string, unknown>).DROP).toBe(RESET);
    expect({ ...again.mergeTags.reset }).toEqual({ web: ['ports'] });
    expect({ ...again.mergeTags.override }).toEqual({ web: ['command'] });
    // Service names index these tables: nothing inherited answers for a service called "constructor".
    expect(again.mergeTags.reset.constructor).toBeUndefined();
    expect(again.positions.locate(['services', 'web', 'command'])).toEqual(first.positions.locate(['services', 'web', 'command']));
    expect(again.positions.locate(['services', 'web', 'command'])).toEqual({ file: 'compose.yaml', line: 8, col: 5 });
  });

  it.each([
    ['another text (one character changed)', (t: string) => t.replace('nginx', 'nginy'), 'b1'],
    ['another build of ctnr', (t: string) => t, 'b2'],
  ])('is not used for %s', (_what, change, build) => {
    parseComposeYaml(RESETS, 'compose.yaml', composeCache(dir, 'b1'));
    const cache = composeCache(dir, build);
    expect(cache.get(change(RESETS))).toBeUndefined();
  });

  it.each([
    ['YAML aliases (a shared value would come back as two copies)', padded('x-env: &env {A: "1"}\nservices:\n  a: {image: x, environment: *env}\n  b: {image: x, environment: *env}\n')],
    ['.inf, which JSON cannot write', padded('services:\n  a: {image: x}\nx-n: .inf\n')],
  ])('keeps nothing for %s', (_what, text) => {
    const parsed = parseComposeYaml(text, 'compose.yaml', composeCache(dir, 'b1'));
    expect(parsed.raw.services).toBeTruthy();
    expect(readdirSync(path.dirname(dir)).includes('compose') ? readdirSync(dir) : []).toEqual([]);
  });

  it('ignores an entry others may write, and one that is not JSON', () => {
    const cache = composeCache(dir, 'b1');
    parseComposeYaml(RESETS, 'compose.yaml', cache);
    const entry = path.join(dir, readdirSync(dir)[0]!);
    chmodSync(entry, 0o666);
    expect(cache.get(RESETS)).toBeUndefined();
    chmodSync(entry, 0o600);
    expect(cache.get(RESETS)).toBeDefined();
    writeFileSync(entry, '{"text": ');
    expect(cache.get(RESETS)).toBeUndefined();
  });

  it.each([
    ['through a prototype', ['constructor', 'prototype', 'polluted']],
    ['to a key the data does not have', ['services', 'web', 'nope']],
    ['empty', []],
  ])('ignores an entry whose !reset path leads %s, and writes nothing there', (_what, at) => {
    const cache = composeCache(dir, 'b1');
    parseComposeYaml(RESETS, 'compose.yaml', cache);
    const entry = path.join(dir, readdirSync(dir)[0]!);
    const json = JSON.parse(readFileSync(entry, 'utf8'));
    json.resets = [at];
    writeFileSync(entry, JSON.stringify(json));
    expect(cache.get(RESETS)).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('removes entries unread for a week when it writes one (an edited file leaves its old entry), and keeps the rest', () => {
    parseComposeYaml(RESETS, 'compose.yaml', composeCache(dir, 'old'));
    parseComposeYaml(RESETS.replace('nginx', 'caddy'), 'compose.yaml', composeCache(dir, 'new'));
    const [stale] = readdirSync(dir).filter((n) => n.startsWith('compose-old-'));
    const weekAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    utimesSync(path.join(dir, stale!), weekAgo, weekAgo);
    parseComposeYaml(RESETS.replace('nginx', 'httpd'), 'compose.yaml', composeCache(dir, 'new'));
    expect(readdirSync(dir).map((n) => n.split('-')[1])).toEqual(['new', 'new']);
  });

  it('keeps at most 256 entries, dropping the least recently read', () => {
    const cache = composeCache(dir, 'b1');
    const text = (i: number) => RESETS.replace('nginx', `nginx-${i}`);
    const hourAgo = new Date(Date.now() - 3600_000);
    for (let i = 0; i < 256; i++) {
      parseComposeYaml(text(i), 'compose.yaml', cache);
      if (i === 0) for (const n of readdirSync(dir)) utimesSync(path.join(dir, n), hourAgo, hourAgo);
    }
    expect(readdirSync(dir)).toHaveLength(256);
    parseComposeYaml(text(256), 'compose.yaml', cache);
    expect(readdirSync(dir)).toHaveLength(256);
    expect(cache.get(text(0))).toBeUndefined();
    expect(cache.get(text(1))).toBeDefined();
    expect(cache.get(text(256))).toBeDefined();
  });
});
