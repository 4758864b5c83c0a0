import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadComposeFile, parseCompose, type LoadOptions } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import { formatError } from '../../../src/engine/errors.js';
import { thrownCtnrError } from '../../helpers/errors.js';

/**
 * What the loader's shortcuts for large files (positions found on demand, one check walk, the fast path of the
 * schema, extends files parsed once) must not change: where errors and warnings point, which errors a file
 * gives, and that a problem anywhere in the file still fails it. Each case puts the problem in service 4,999 of
 * 5,000, after everything the loader no longer indexes up front.
 */

const N = 5000;
const LAST = `svc-${N - 1}`;

/** `N` services (`svc-0` …); the last one's lines after `image:` are `last`. */
function services(last: string[] = [], problems: Record<number, string> = {}): string[] {
  const lines = ['services:'];
  for (let i = 0; i < N - 1; i++) lines.push(`  svc-${i}:`, '    image: busybox', problems[i] ?? '    command: ["sleep", "1"]', `    environment: {A: "${i}"}`);
  lines.push(`  ${LAST}:`, '    image: busybox', ...last);
  return lines;
}

/** The 1-based line of the (last) line that is `text`. */
function lineOf(lines: string[], text: string): number {
  return lines.lastIndexOf(text) + 1;
}

function parse(lines: string[], options: LoadOptions = {}) {
  return parseCompose(lines.join('\n') + '\n', '/proj/compose.yaml', 'compose.yaml', { environment: {}, ...options });
}


describe(`problems at the end of a file of ${N} services`, () => {
  // Problems a service has (the others still load), near the end, in one file parsed once.
  const PROBLEMS = { [N - 5]: '    isolation: process', [N - 4]: '    imagee: x', [N - 3]: '    privileged: perhaps', [N - 2]: '    ports: ["80:x"]' };
  const lines = [...services([], PROBLEMS), 'version: "3"'];
  const p = parse(lines);

  it('a schema error names its file:line:col and key path', () => {
    expect(formatError(thrownCtnrError(() => selectService(p, `svc-${N - 2}`)))).toBe(
      `compose.yaml:${lineOf(lines, PROBLEMS[N - 2]!)}:13 services.svc-${N - 2}.ports[0]: "80:x" is not a port mapping (expected [IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO])`,
    );
  });

  it('a value only zod reads (no fast path) is worded and located by zod', () => {
    expect(formatError(thrownCtnrError(() => selectService(p, `svc-${N - 3}`)))).toBe(`compose.yaml:${lineOf(lines, PROBLEMS[N - 3]!)}:5 services.svc-${N - 3}.privileged: "perhaps" is not a boolean (expected true or false)`);
  });

  it('an unknown key names its line', () => {
    expect(formatError(thrownCtnrError(() => selectService(p, `svc-${N - 4}`)))).toBe(`compose.yaml:${lineOf(lines, PROBLEMS[N - 4]!)}:5 services.svc-${N - 4}.imagee: unknown key "imagee" (did you mean "image"?)`);
  });

  it('the other services load', () => {
    expect(selectService(p, 'svc-0').input.service.command).toEqual(['sleep', '1']);
    expect(selectService(p, LAST).input.service.image).toBe('busybox');
  });

  it('a warning is located where it was before (ignored keys, at the service; the obsolete version, at its key)', () => {
    const version = { level: 'warning', code: 'KEY_IGNORED', message: 'the top-level "version" is obsolete and ignored', path: 'version', location: { file: 'compose.yaml', line: lines.length, col: 1 } };
    expect(selectService(p, `svc-${N - 5}`).diagnostics).toEqual([
      version,
      {
        level: 'warning',
        code: 'KEY_IGNORED',
        message: 'ignored: isolation (Windows only)',
        path: `services.svc-${N - 5}`,
        location: { file: 'compose.yaml', line: lineOf(lines, `  svc-${N - 5}:`), col: 3 },
      },
    ]);
  });
});

describe(`problems that fail a file of ${N} services, in its last service`, () => {
  const at = (last: string[]) => lineOf(services(last), last[0]!);

  it('a missing required variable fails the whole file, whichever service is selected (compose interpolates the whole file)', () => {
    const last = ['    user: ${NOBODY:?set NOBODY}'];
    expect(formatError(thrownCtnrError(() => parse(services(last))))).toBe(`compose.yaml:${at(last)}:5 services.${LAST}.user: required variable NOBODY is missing a value: set NOBODY`);
  });

  it('a duplicate key is found, and named at its line', () => {
    const last = ['    image: alpine'];
    expect(formatError(thrownCtnrError(() => parse(services(last))))).toBe(`compose.yaml:${at(last)}:5 duplicate key "image" (a key may appear once per mapping)`);
  });

  it('a YAML error names its line', () => {
    const last = ['   bad: indent'];
    const err = thrownCtnrError(() => parse(services(last)));
    expect(err.code).toBe('COMPOSE_INVALID');
    expect(err.location).toEqual({ file: 'compose.yaml', line: at(last), col: expect.any(Number) });
  });

  it('an oversized value is refused at its line', () => {
    const last = [`    hostname: ${'x'.repeat((1 << 20) + 1)}`];
    expect(thrownCtnrError(() => parse(services(last))).location).toEqual({ file: 'compose.yaml', line: at(last), col: 15 });
  });

  it('an invalid service name is located', () => {
    const lines = services();
    lines[lines.length - 2] = '  "bad name":';
    expect(formatError(thrownCtnrError(() => parse(lines)))).toBe(
      `compose.yaml:${lines.length - 1}:3 services["bad name"]: service name "bad name" is not valid: use letters, digits, "_", "." and "-", starting with a letter or digit (docker compose's rule)`,
    );
  });
});

describe('parsing', () => {
  it('leaves process.env as it was (yaml parses with a plain copy of the two variables it reads)', () => {
    const env = process.env;
    parse(services());
    expect(process.env).toBe(env);
    thrownCtnrError(() => parse(['services: [']));
    expect(process.env).toBe(env);
  });
});

describe('extends from another file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-extends-once-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is read and parsed once per project: every service sees the same parent file', () => {
    writeFileSync(path.join(dir, 'common.yaml'), 'services:\n  base: {image: first, user: "1"}\n');
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  a: {extends: {file: common.yaml, service: base}}\n  b: {extends: {file: common.yaml, service: base}}\n');
    const p = loadComposeFile(path.join(dir, 'compose.yaml'), { environment: {} });
    expect(selectService(p, 'a').input.service.image).toBe('first');
    writeFileSync(path.join(dir, 'common.yaml'), 'services:\n  base: {image: second}\n');
    expect(selectService(p, 'b').input.service).toMatchObject({ image: 'first', user: '1' });
    // A new load reads the file again.
    expect(selectService(loadComposeFile(path.join(dir, 'compose.yaml'), { environment: {} }), 'b').input.service.image).toBe('second');
  });

  it('an error in the parent file is located there, for every service that extends it', () => {
    writeFileSync(path.join(dir, 'bad.yaml'), 'services:\n  base:\n    image: x\n    ports: ["80:x"]\n');
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  a: {extends: {file: bad.yaml, service: base}}\n  b: {extends: {file: bad.yaml, service: base}}\n');
    const p = loadComposeFile(path.join(dir, 'compose.yaml'), { environment: {} });
    for (const s of ['a', 'b']) expect(formatError(thrownCtnrError(() => selectService(p, s)))).toMatch(/bad\.yaml:4:13 services\.base\.ports\[0\]: "80:x" is not a port mapping/);
  });
});
