import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import { formatError } from '../../../src/engine/errors.js';

/**
 * Duplicate keys are still found after the check became linear (issue 16 "Bounds"; the timing is in
 * bench/large-file.mjs, run by `npm run bench`), and long environments keep compose's order.
 */
/** As bench/large-file.mjs writes it: `n` small services. */
function largeCompose(n: number): string {
  const lines = ['services:'];
  for (let i = 0; i < n; i++) lines.push(`  svc-${i}:`, '    image: busybox', '    environment:', `      A: "${i}"`);
  return lines.join('\n') + '\n';
}

const load = (text: string) => parseCompose(text, '/tmp/ctnr-bounds/compose.yaml', 'compose.yaml', { environment: {} });

function errorOf(text: string): string {
  try {
    load(text);
  } catch (e) {
    return formatError(e);
  }
  return '(no error)';
}

describe('duplicate keys', () => {
  it.each([
    ['at the top level', 'services: {}\nservices: {}\n', 'compose.yaml:2:1 duplicate key "services" (a key may appear once per mapping)'],
    ['in a service', 'services:\n  web:\n    image: a\n    command: ["x"]\n    image: b\n', 'compose.yaml:5:5 duplicate key "image" (a key may appear once per mapping)'],
    ['two services', 'services:\n  web:\n    image: a\n  db:\n    image: b\n  web:\n    image: c\n', 'compose.yaml:6:3 duplicate key "web" (a key may appear once per mapping)'],
    ['in a flow mapping', 'services:\n  web: {image: a, image: b}\n', 'compose.yaml:2:19 duplicate key "image" (a key may appear once per mapping)'],
    ['inside a list item', 'services:\n  web:\n    image: a\n    volumes:\n      - type: bind\n        type: volume\n', 'compose.yaml:6:9 duplicate key "type" (a key may appear once per mapping)'],
    ['quoted and plain spellings of one key', 'services:\n  web:\n    "image": a\n    image: b\n', 'compose.yaml:4:5 duplicate key "image" (a key may appear once per mapping)'],
    ['the first of several, in document order', 'services:\n  a:\n    x: 1\n    x: 2\n  b:\n    y: 1\n    y: 2\n', 'compose.yaml:4:5 duplicate key "x" (a key may appear once per mapping)'],
    ['a key that is not key-like is not echoed', 'services: {}\n"root:$6$secret:19000": 1\n"root:$6$secret:19000": 2\n', 'compose.yaml:3:1 duplicate key (a key that is not shown: it does not look like a compose key) (a key may appear once per mapping)'],
  ])('%s', (_, text, expected) => {
    expect(errorOf(text)).toBe(expected);
  });

  it.each([
    ['the same key in different mappings', 'services:\n  a:\n    image: x\n  b:\n    image: x\n'],
    ['1 and "1" (yaml: different values)', 'services:\n  a:\n    image: x\n    labels:\n      1: one\n      "1": string\n'],
    ['an anchor used twice', 'x-base: &b\n  image: x\nservices:\n  a: *b\n  b: *b\n'],
  ])('not a duplicate: %s', (_, text) => {
    expect(errorOf(text)).toBe('(no error)');
  });

  it('one duplicate at the end of 10,000 services is found, on its line', () => {
    const text = largeCompose(10_000) + '  svc-7:\n    image: again\n';
    const lines = text.split('\n').length;
    expect(errorOf(text)).toBe(`compose.yaml:${lines - 2}:3 duplicate key "svc-7" (a key may appear once per mapping)`);
  });
});

describe('long environments', () => {
  it('50,000 variables keep compose order: a repeated key takes the later value and moves to the end', () => {
    const names = Array.from({ length: 50_000 }, (_, i) => `V${i}`);
    const list = [...names.map((n) => `      - ${n}=1`), '      - V0=last'].join('\n');
    const project = load(`services:\n  web:\n    image: x\n    command: ["true"]\n    environment:\n${list}\n`);
    const env = selectService(project, 'web').input.service.environment!;
    expect(env).toHaveLength(50_000);
    expect(env[0]).toEqual(['V1', '1']);
    expect(env.at(-1)).toEqual(['V0', 'last']);
  });
});

describe('oversized values', () => {
  const big = 'a'.repeat((1 << 20) + 1);
  it.each([
    ['a quoted command argument', `services:\n  web:\n    command: ["echo", "${big}"]\n`, 'compose.yaml:3:23'],
    ['a plain environment value', `services:\n  web:\n    command: ["true"]\n    environment:\n      X: ${big}\n`, 'compose.yaml:5:10'],
    ['an explicit key', `services:\n  web:\n    command: ["true"]\n    labels:\n      ? ${big}\n      : x\n`, 'compose.yaml:5:9'],
  ])('%s over 1 MiB is refused where it is, before anything walks it', (_what, text, where) => {
    expect(errorOf(text)).toBe(`${where} a value of ${big.length} characters; ctnr accepts at most 1024 KiB per value (the kernel takes at most 128 KiB per argument or environment string)`);
  });

  it('a value of exactly 1 MiB is accepted', () => {
    const ok = 'b'.repeat(1 << 20);
    const project = load(`services:\n  web:\n    command: ["true"]\n    labels:\n      x: ${ok}\n`);
    expect(selectService(project, 'web').input.service.labels).toEqual({ x: ok });
  });
});
