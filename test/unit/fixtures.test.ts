import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFixtures, expectDataFile, expectFacts, fixtureCases, yamlText } from '../helpers/fixtures.js';

/**
 * Every fixture case of kind `spec` (test/fixtures/README.md): compose errors, mounts and cgroups folders, …
 * The cli and run kinds have their own files (test/cli/fixtures.test.ts, test/e2e/scenarios.test.ts); the
 * format itself is checked here for all of them, so a broken e2e case.yaml shows without containers.
 */
describeFixtures('spec');

describe('the fixture format', () => {
  const cases = fixtureCases();

  it('every case.yaml is well-formed', () => {
    expect(cases.filter((c) => c.problem !== undefined).map((c) => `${c.name}/${c.problem}`)).toEqual([]);
  });

  it('a folder beside case folders is a case folder too (no case.yaml forgotten)', () => {
    const parents = new Set(cases.map((c) => path.dirname(c.dir)));
    const strays = [...parents].flatMap((p) =>
      readdirSync(p, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !existsSync(path.join(p, e.name, 'case.yaml')))
        .map((e) => path.join(p, e.name)),
    );
    expect(strays).toEqual([]);
  });

  it('compose errors: at least ten typical mistakes', () => {
    expect(cases.filter((c) => c.name.startsWith('compose/errors/')).length).toBeGreaterThanOrEqual(10);
  });

  describe('fact matchers of the run kind', () => {
    const facts = { uid: '0', groups: '44 1000 29', hosts: '127.0.0.1\tlocalhost|  10.1.2.3   db.internal |', CapEff: '00000000a80425fb', CapPrm: '00000000a80425fb', CapAmb: '0000000000000000' };
    it.each([
      ['a string is the whole value', { uid: '0' }],
      ['match: a regular expression', { CapEff: { match: '^0+a8' } }],
      ['words: the same words in any order', { groups: { words: ['1000', '29', '44'] } }],
      ['line: one of the |-joined lines, blanks squeezed', { hosts: { line: '10.1.2.3 db.internal' } }],
      ['caps: decoded capability names', { CapEff: { caps: { includes: ['CAP_CHOWN'], excludes: ['CAP_SYS_ADMIN'], count: 14 } } }],
      ['caps.sameAs: the same names as another fact', { CapPrm: { caps: { sameAs: 'CapEff' } } }],
      ['a list: every matcher', { uid: [{ match: '^0$' }, '0'] }],
    ] as const)('%s', (_, want) => {
      expectFacts(facts, want as never);
    });
    it.each([
      ['a different value', { uid: '1000' }],
      ['a fact the probe did not print', { gid: '0' }],
      ['no match', { CapEff: { match: '^1' } }],
      ['a word missing', { groups: { words: ['1000', '29'] } }],
      ['no such line', { hosts: { line: '10.1.2.3' } }],
      ['a capability missing', { CapAmb: { caps: { includes: ['CAP_CHOWN'] } } }],
      ['a capability present', { CapEff: { caps: { excludes: ['CAP_CHOWN'] } } }],
      ['another count', { CapEff: { caps: { count: 13 } } }],
      ['different names', { CapAmb: { caps: { sameAs: 'CapEff' } } }],
      ['one matcher of a list', { uid: ['0', { match: 'x' }] }],
    ] as const)('fails on %s', (_, want) => {
      expect(() => expectFacts(facts, want as never)).toThrow();
    });
  });

  describe('dataDir of the run kind', () => {
    let dataDir: string;
    beforeAll(() => {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-fixtures-'));
      mkdirSync(path.join(dataDir, 'volumes/shop_cache'), { recursive: true });
      writeFileSync(path.join(dataDir, 'volumes/shop_cache/probe'), 'first\nkept\n');
      chmodSync(path.join(dataDir, 'volumes/shop_cache'), 0o755);
    });
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it('a file below the folder with the line, in a folder of that mode', () => {
      expectDataFile(dataDir, { under: 'volumes', line: 'kept', dirMode: '755' });
      expectDataFile(dataDir, { under: 'volumes', line: 'first' });
    });
    it.each([
      ['no file has the line', { under: 'volumes', line: 'kep' }],
      ['another mode', { under: 'volumes', line: 'kept', dirMode: '0700' }],
      ['no such folder', { under: 'secrets', line: 'kept' }],
    ])('fails when %s', (_, want) => {
      expect(() => expectDataFile(dataDir, want)).toThrow();
    });
  });

  it.each([
    ['one line\n'],
    ['no final newline'],
    ['two final newlines\n\n'],
    ['  starts with blanks\n    stage x\n'],
    ['\nstarts with an empty line\n'],
    ['a "quoted" #hash: and {{DIR}}\n\ttab\n'],
    [''],
    ['   \n'],
    ['escape \x1b[31m\n'],
  ])('written expectations read back verbatim: %j', (text) => {
    expect(parseYaml(`expect:\n  error: ${yamlText(text, 2)}\n`)).toEqual({ expect: { error: text } });
  });
});
