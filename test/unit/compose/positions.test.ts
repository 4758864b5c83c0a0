import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { renderPath } from '../../../src/engine/errors.js';
import { PositionIndex } from '../../../src/compose/positions.js';
import { REPO, SHARED, HAS_SHARED } from '../../helpers/shared.js';

/**
 * Positions are found on demand (src/compose/positions.ts) instead of from an index of every key built at load.
 * The answers must be the index's: this file keeps that index (as the loader had it) as the oracle and asks
 * both for every path of every compose file of the corpus and the fixtures, plus documents written to hit the
 * corners (merges, aliases, keys that render alike, depth, CRLF and multi-line scalars for line numbers).
 */

/** The eager index the loader used to build for every file: the reference. */
class EagerIndex {
  private readonly map = new Map<string, { line: number; col: number }>();
  readonly file: string;
  constructor(file: string, doc: Document, counter: LineCounter) {
    this.file = file;
    const record = (p: Array<string | number>, node: Node | null | undefined) => {
      const start = node?.range?.[0];
      if (start === undefined) return;
      this.map.set(renderPath(p), counter.linePos(start));
    };
    const walk = (node: unknown, p: Array<string | number>, depth: number): void => {
      if (depth > 64 || isAlias(node)) return;
      if (isMap(node)) {
        const explicit = new Set<string>();
        for (const pair of node.items) if (isScalar(pair.key) && pair.key.value !== '<<') explicit.add(String(pair.key.value));
        for (const pair of node.items) {
          if (!isPair(pair) || !isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (key === '<<') {
            for (const src of isSeq(pair.value) ? pair.value.items : [pair.value]) {
              const target = isAlias(src) ? src.resolve(doc) : src;
              if (!isMap(target)) continue;
              for (const inner of target.items) {
                if (!isScalar(inner.key)) continue;
                const k = String(inner.key.value);
                if (explicit.has(k)) continue;
                explicit.add(k);
                record([...p, k], inner.key as Node);
                walk(inner.value, [...p, k], depth + 1);
              }
            }
            continue;
          }
          record([...p, key], pair.key as Node);
          walk(pair.value, [...p, key], depth + 1);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          record([...p, i], item as Node);
          walk(item, [...p, i], depth + 1);
        });
      }
    };
    walk(doc.contents, [], 0);
  }
  locate(p: ReadonlyArray<string | number>) {
    for (let n = p.length; n > 0; n--) {
      const hit = this.map.get(renderPath(p.slice(0, n)));
      if (hit) return { file: this.file, line: hit.line, col: hit.col };
    }
    return { file: this.file };
  }
}

const OPTIONS = { merge: true, prettyErrors: false, uniqueKeys: false } as const;

/** Every path of a plain value (as the loader's errors name them), and one that is not there below each. */
function pathsOf(value: unknown, limit = 70): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const walk = (v: unknown, p: Array<string | number>) => {
    out.push(p, [...p, 'not-there'], [...p, 7]);
    if (p.length >= limit || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...p, k]);
  };
  walk(value, []);
  return out;
}

function compare(text: string, name = 'compose.yaml'): number {
  const counter = new LineCounter();
  const eagerDoc = parseDocument(text, { ...OPTIONS, lineCounter: counter });
  const doc = parseDocument(text, OPTIONS);
  const eager = new EagerIndex(name, eagerDoc, counter);
  const lazy = new PositionIndex(name, doc, text);
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 1000 });
  } catch {
    js = undefined;
  }
  const paths = pathsOf(js);
  for (const p of paths) expect(lazy.locate(p), `${name} ${renderPath(p)}`).toEqual(eager.locate(p));
  // Line numbers: every line start yaml's LineCounter saw (up to a first error, after which it may skip some).
  const limit = eagerDoc.errors[0]?.pos[0] ?? text.length;
  for (const start of counter.lineStarts) {
    if (start > limit) break;
    for (const offset of [start, start + 1, Math.max(0, start - 1)]) expect(lazy.linePos(offset), `${name} offset ${offset}`).toEqual(counter.linePos(offset));
  }
  return paths.length;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = path.join(dir, n);
      return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
    });
}

const CORNERS: Record<string, string> = {
  merge: ['x-d: &d', '  image: base', '  environment: &e', '    A: "1"', 'services:', '  one:', '    <<: *d', '    image: own', '  two:', '    <<: [*d, {user: u}]', '    environment:', '      <<: *e', '      B: x', ''].join('\n'),
  'quoted merge key': ['x-d: &d {image: base, user: u}', 'services:', '  one:', '    "<<": *d', '    user: v', '  two:', "    '<<': [*d, {cap_add: [a]}]", ''].join('\n'),
  'keys that render alike': ['services:', '  s:', '    labels:', '      1: {a: x}', '      "1": {b: y}', '    ports: [1, "1"]', ''].join('\n'),
  aliases: ['x-a: &a [1, 2, {k: v}]', 'services:', '  s:', '    ports: *a', '    volumes: [*a, *a]', '    labels: &l {a: b}', '    annotations: *l', ''].join('\n'),
  'block and quoted scalars': ['services:', '  s:', '    command: |', '      one', '      two', '    entrypoint: "a', '      b"', "    user: 'c", "      d'", '    working_dir: plain', '      continued', '    labels: {a: 1,', '      b: 2}', ''].join('\n'),
  crlf: 'services:\r\n  s:\r\n    image: x\r\n    ports:\r\n      - "1:2"\r\n',
  'no final newline': 'services:\n  s:\n    image: x',
  deep: `services:\n  s:\n    labels: ${'{k: '.repeat(80)}x${'}'.repeat(80)}\n`,
  'deep block': `a:\n${Array.from({ length: 75 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} v\n`,
  'flow pairs': 'services: {s: {ports: [a: 1, b], command: [x]}}\n',
  'empty items': 'services:\n  s:\n    ports:\n      -\n      - \n      - x\n    labels:\n      a:\n',
  'complex keys': '? [a, b]\n: c\nservices:\n  s: {image: x}\n',
  'yaml error': 'services:\n  s:\n    image: x\n   bad: indent\n  t: [\n',
  comments: '# c\nservices: # c\n  # c\n  s:\n    image: x # c\n\n\n    user: "1"\n',
  documents: '%YAML 1.2\n---\nservices:\n  s: {image: x}\n',
};

describe('source positions found on demand', () => {
  it.each(Object.entries(CORNERS))('%s: the same locations as the full index', (name, text) => {
    expect(compare(text, `${name}.yaml`)).toBeGreaterThan(0);
  });

  it('every compose file of the fixtures: the same locations', () => {
    let n = 0;
    for (const file of yamlFiles(path.join(REPO, 'test/fixtures'))) n += compare(readFileSync(file, 'utf8'), path.relative(REPO, file));
    expect(n).toBeGreaterThan(1000);
  });

  it.skipIf(!HAS_SHARED)('every compose file of the corpus: the same locations', () => {
    let n = 0;
    for (const file of yamlFiles(path.join(SHARED, 'corpus'))) n += compare(readFileSync(file, 'utf8'), path.relative(SHARED, file));
    expect(n).toBeGreaterThan(10000);
  });

  it('a key in the last of 5,000 services: its own line, found without indexing the other services', () => {
    const lines = ['services:'];
    for (let i = 0; i < 5000; i++) lines.push(`  svc-${i}:`, '    image: busybox', '    ports: ["80"]');
    const text = lines.join('\n') + '\n';
    const lazy = new PositionIndex('compose.yaml', parseDocument(text, OPTIONS), text);
    expect(lazy.locate(['services', 'svc-4999', 'ports', 0])).toEqual({ file: 'compose.yaml', line: 1 + 3 * 4999 + 3, col: 13 });
    expect(lazy.locate(['services', 'svc-4999', 'user'])).toEqual({ file: 'compose.yaml', line: 1 + 3 * 4999 + 1, col: 3 });
    expect(lazy.locate(['services', 'nope'])).toEqual({ file: 'compose.yaml', line: 1, col: 1 });
  });
});
