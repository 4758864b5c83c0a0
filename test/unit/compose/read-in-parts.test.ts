import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCompose, type ComposeProject } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import { parseAllInParts, READ_IN_PARTS_MIN_BYTES } from '../../../src/compose/split-parse.js';
import { parseComposeYaml, type ComposeYaml } from '../../../src/compose/yaml.js';
import { splitCompose, type ComposeSplit } from '../../../src/compose/split.js';
import { isCtnrError } from '../../../src/engine/errors.js';
import { REPO, SHARED, sharedAvailable } from '../../helpers/shared.js';

/*
 * A large file read in parts (src/compose/split-parse.ts) must give, for every service it reads, what the whole
 * file parsed at once gives: the same raw service, the same selected service or error, the same merge tags, the
 * same positions. Every compose file of the fixtures and of ../shared/corpus is made large enough with a comment
 * at its end, then loaded both ways.
 */

function yamlFiles(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = path.join(dir, n);
      return statSync(p).isDirectory() ? yamlFiles(p, keep) : /\.ya?ml$/.test(n) && keep(n) ? [p] : [];
    });
}

/** `text` made large enough to be read in parts, by a comment line before its first line (in no entry). */
const large = (text: string) => `# ${'-'.repeat(READ_IN_PARTS_MIN_BYTES)}\n${text}`;

type Outcome<T> = { value: T } | { error: { message: string; location: unknown; path: unknown } };

function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { value: fn() };
  } catch (e) {
    if (!isCtnrError(e)) throw e;
    return { error: { message: e.message, location: e.location, path: e.path } };
  }
}

const load = (text: string, file: string, services?: string[]) =>
  parseCompose(text, file, path.basename(file), { environment: { HOME: '/home/u' }, variables: { SET: 'value' }, ...(services ? { services } : {}) });

/** The file's lines (1-based) yaml parses when `name` is read: the top-level entries, the anchors' entries, its own. */
function partLines(split: ComposeSplit, text: string, name: string): Set<number> {
  const lines = new Set<number>();
  for (const r of [...split.common, ...split.services.filter((s) => s.anchors || s.name === name)]) {
    const count = text.slice(r.from, r.to).replace(/\n$/, '').split('\n').length;
    for (let i = 0; i < count; i++) lines.add(r.line + 1 + i);
  }
  return lines;
}

/** Every key path of `value` down to `depth` levels below `at`. */
function paths(value: unknown, at: Array<string | number>, depth: number): Array<Array<string | number>> {
  if (depth === 0 || value === null || typeof value !== 'object') return [at];
  const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...at, k], depth - 1))];
}

/** Compares the ways of reading one file; returns whether it was read in parts at all. */
function compareFile(file: string, original: string, sample: (names: string[]) => string[] = (n) => n): boolean {
  const text = large(original);
  const split = splitCompose(text);
  const inParts = compareAllInParts(file, text);
  const whole = outcome(() => load(text, file));
  const names = sample(split ? split.services.map((s) => s.name) : 'value' in whole ? Object.keys(whole.value.services) : []);
  for (const name of names) {
    if ('error' in whole) {
      // Not a valid file. The part that holds its first error fails as the whole file does: a YAML error in the
      // lines parsed for this service, or an error in this service's own values (interpolation). Elsewhere, the
      // service may load (an entry nobody reads is not checked).
      const { location, path: at } = whole.error as { location?: { line?: number }; path?: string };
      const line = location?.line;
      const inService = typeof at === 'string' && at.startsWith('services.') ? at.split('.')[1] : undefined;
      const relevant = inService !== undefined ? inService === name : split === undefined || (line !== undefined && partLines(split, text, name).has(line));
      if (relevant) expect(outcome(() => selected(load(text, file, [name]), name)), `${file}: ${name}`).toEqual(whole);
      continue;
    }
    const parts = outcome(() => load(text, file, [name]));
    if ('error' in parts) expect.fail(`${file}: ${name} read in parts: ${parts.error.message}`);
    compareService(file, name, whole.value, (parts as { value: ComposeProject }).value);
  }
  // Every service of one project read in parts, one after another (past eight, the rest are parsed together).
  if (split && 'value' in whole && names.length > 0) {
    const parts = load(text, file, [names[0]!]);
    for (const name of names) compareService(file, name, whole.value, parts);
  }
  return inParts;
}

/** A selected service without its `locate` function (compared apart: positions below). */
function selected(project: ComposeProject, name: string) {
  const { input, diagnostics } = selectService(project, name);
  const { locate: _, ...source } = input.source!;
  return { input: { ...input, source }, diagnostics };
}

/**
 * All of a file parsed in parts (what commands that do not name services read) against the whole file; returns
 * whether it was parsed in parts.
 */
function compareAllInParts(file: string, text: string): boolean {
  const whole = outcome(() => parseComposeYaml(text, file));
  const parts = outcome(() => parseAllInParts(text, file));
  if ('value' in parts && parts.value === undefined) return false;
  if ('error' in whole) {
    expect(parts, file).toEqual(whole);
    return true;
  }
  if ('error' in parts) expect.fail(`${file} in parts: ${parts.error.message}`);
  const [w, p] = [whole.value, (parts as { value: ComposeYaml }).value];
  expect(p.raw, file).toStrictEqual(w.raw);
  // Key order too (services are listed and started in file order).
  expect(Object.keys(p.raw), file).toEqual(Object.keys(w.raw));
  expect(Object.keys(p.raw.services ?? {}), file).toEqual(Object.keys(w.raw.services ?? {}));
  expect({ ...p.mergeTags.reset }, file).toEqual({ ...w.mergeTags.reset });
  expect({ ...p.mergeTags.override }, file).toEqual({ ...w.mergeTags.override });
  for (const at of [...paths(w.raw, [], 4), ['services', 'no-such-service']]) expect(p.positions.locate(at), `${file}: ${at.join('.')}`).toEqual(w.positions.locate(at));
  return true;
}

function compareService(file: string, name: string, whole: ComposeProject, parts: ComposeProject): void {
  const at = `${file}: ${name}`;
  expect(Object.keys(parts.services), at).toEqual(Object.keys(whole.services));
  expect(parts.services[name], at).toStrictEqual(whole.services[name]);
  expect(outcome(() => selected(parts, name)), at).toEqual(outcome(() => selected(whole, name)));
  expect(parts.mergeTags.reset[name], at).toEqual(whole.mergeTags.reset[name]);
  expect(parts.mergeTags.override[name], at).toEqual(whole.mergeTags.override[name]);
  for (const p of paths(whole.services[name], ['services', name], 3)) expect(parts.positions.locate(p), `${at}: ${p.join('.')}`).toEqual(whole.positions.locate(p));
  for (const p of [['name'], ['volumes'], ['services'], ['services', 'no-such-service']]) expect(parts.positions.locate(p), at).toEqual(whole.positions.locate(p));
}

describe('a large file read in parts gives what the whole file gives (src/compose/split-parse.ts)', () => {
  it("for every compose file of the test fixtures", () => {
    const files = yamlFiles(path.join(REPO, 'test/fixtures'), (n) => n !== 'case.yaml' && !n.startsWith('ctnr.config'));
    let split = 0;
    for (const file of files) if (compareFile(file, readFileSync(file, 'utf8'))) split++;
    expect(files.length).toBeGreaterThan(50);
    // The comparison means something only where files are split: most are.
    expect(split / files.length).toBeGreaterThan(0.8);
  });

  it.skipIf(!sharedAvailable('the compose corpus'))('for every compose file of ../shared/corpus', () => {
    const files = yamlFiles(path.join(SHARED, 'corpus'), () => true);
    let split = 0;
    for (const file of files) if (compareFile(file, readFileSync(file, 'utf8'))) split++;
    expect(files.length).toBeGreaterThan(400);
    expect(split / files.length).toBeGreaterThan(0.8);
  });

  it.each([
    {
      what: 'anchors in other services, merge keys, !reset and !override, extends within the file',
      text: [
        'x-common: &common',
        '  restart: "no"',
        'services:',
        '  base: &base',
        '    image: busybox',
        '    environment: {A: "1", B: "2"}',
        '    ports: ["80:80"]',
        '  web:',
        '    <<: *base',
        '    command: ["echo", "${SET}"]',
        '    ports: !reset []',
        '  job:',
        '    extends: base',
        '    environment: !override {C: "3"}',
        '  shell:',
        '    <<: *common',
        '    image: alpine',
        '    command: |',
        '      echo "web: not a key" [',
        '  late: &late',
        '    image: late',
      ].join('\n'),
    },
    {
      what: 'services the file resets (`NAME: !reset`, the tag on its line or the next), and !reset in a string',
      text: [
        'services:',
        '  web:',
        '    image: a',
        '    command: ["echo", "!reset"]',
        '  db: !reset null',
        '  cache:',
        '    !reset',
        '  job:',
        '    image: b',
        '    ports: !reset []',
      ].join('\n'),
    },
    { what: 'CRLF line ends', text: 'services:\r\n  web:\r\n    image: a\r\n    command: ["echo", "x"]\r\n  db:\r\n    image: b\r\n' },
    { what: 'an invalid key in one service', text: 'services:\n  web:\n    image: a\n    ports: ["80:x"]\n  db:\n    image: b\n' },
    { what: 'a duplicate key in one service', text: 'services:\n  web:\n    image: a\n    image: b\n  db:\n    image: b\n  job:\n    image: c\n' },
    { what: 'a YAML error in the top-level entries', text: 'x-a: {a: 1}}\nservices:\n  web:\n    image: a\n' },
    { what: 'an unset required variable in one service', text: 'services:\n  web:\n    image: "${NOPE:?must be set}"\n  db:\n    image: b\n' },
  ])('$what', ({ text }) => {
    expect(compareFile('/p/compose.yaml', text)).toBe(true);
  });

  it('a file of many services, some with anchors others merge, in many parts', () => {
    const lines = ['name: many', 'x-base: &base', '  restart: "no"', 'services:'];
    for (let i = 0; i < 2000; i++) {
      if (i % 100 === 0) lines.push(`  anchor-${i}: &a${i}`, '    image: busybox', `    environment: {GROUP: "${i}"}`);
      // Not every service merges: an anchor used more than 100 times makes the file parsed whole.
      else if (i % 25 === 0) lines.push(`  svc-${i}:`, `    <<: [*a${i - (i % 100)}, *base]`, '    labels:', `      n: "${i}"`);
      else lines.push(`  svc-${i}:`, `    command: ["echo", "${i}", "\${SET}"]`, '    labels:', `      n: "${i}"`);
    }
    lines.push('volumes:', '  data: {}');
    const text = lines.join('\n') + '\n';
    expect(text.length).toBeGreaterThan(READ_IN_PARTS_MIN_BYTES);
    // Some services of each kind, the last ones, read in parts on their own and one after another.
    expect(compareFile('/p/compose.yaml', text, (names) => names.filter((_, i) => i % 97 < 2 || i > names.length - 3))).toBe(true);
  });

  it("yaml's alias limit: an anchor used too often for parts to tell is judged on the whole file; a bomb among the anchors is refused", () => {
    const many = ['x-base: &base', '  restart: "no"', 'services:'];
    for (let i = 0; i < 3000; i++) many.push(`  svc-${i}:`, '    <<: *base', `    command: ["echo", "${i}"]`);
    const text = many.join('\n') + '\n';
    // 3,000 uses of one anchor: each part alone would pass, the whole file does not (yaml's limit is 1,000).
    expect(() => parseComposeYaml(text, 'compose.yaml')).toThrow('Excessive alias count');
    expect(parseAllInParts(text, 'compose.yaml')).toBeUndefined();
    expect(() => load(text, '/p/compose.yaml')).toThrow('Excessive alias count');
    // 100 uses: parts.
    const fewer = many.slice(0, 3 + 3 * 100).join('\n') + '\n' + Array.from({ length: 3000 }, (_, i) => `  more-${i}:\n    command: ["true"]\n`).join('');
    expect((parseAllInParts(fewer, 'compose.yaml')!.raw.services as Record<string, unknown>)['svc-99']).toEqual({ restart: 'no', command: ['echo', '99'] });
    const bomb = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 9; i++) bomb.push(`x-${i}: &b${i} [${Array(9).fill(i === 1 ? '*a' : `*b${i - 1}`).join(', ')}]`);
    const bombed = [...bomb, ...many].join('\n').replace('    <<: *base\n', '    labels: *b8\n') + '\n';
    expect(() => parseAllInParts(bombed, 'compose.yaml')).toThrow('Excessive alias count');
    expect(() => load(bombed, '/p/compose.yaml', ['svc-0'])).toThrow('Excessive alias count');
  });

  it("reads only the named service's entry and those it needs: an error in another entry is not reported until it is read", () => {
    const text = large('services:\n  web:\n    image: a\n    network_mode: service:db\n  db:\n    image: b\n  broken:\n    image: a\n    image: b\n');
    const project = load(text, '/p/compose.yaml', ['web']);
    expect(selectService(project, 'web').input.service.network_mode).toBe('service:db');
    expect(project.services.db).toEqual({ image: 'b' });
    expect(() => project.services.broken).toThrow('duplicate key "image" (a key may appear once per mapping)');
    try {
      void project.services.broken;
    } catch (e) {
      expect((e as { location: unknown }).location).toEqual({ file: 'compose.yaml', line: 10, col: 5 });
    }
    expect(() => load(text, '/p/compose.yaml')).toThrow();
  });

  it('small files are parsed whole, and so is a file no command named services of', () => {
    const text = 'services:\n  web:\n    image: a\n  broken:\n    image: a\n    image: b\n';
    expect(() => load(text, '/p/compose.yaml', ['web'])).toThrow();
    expect(() => load(large(text), '/p/compose.yaml')).toThrow();
    expect(load(large(text), '/p/compose.yaml', ['web']).services.web).toEqual({ image: 'a' });
  });
});
