import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { offsetOfLastLines } from '../../../src/cli/commands/logs.js';

/** `ctnr logs --tail N`: where the last N lines of a log start, read back from the end in chunks. */
describe('offsetOfLastLines', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-tail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (text: string) => {
    const f = path.join(dir, `log-${Math.random().toString(36).slice(2)}`);
    writeFileSync(f, text);
    return f;
  };
  const tail = (text: string, n: number, chunk?: number) => text.slice(offsetOfLastLines(file(text), n, chunk));

  it.each([
    ['a\nb\nc\n', 2, 'b\nc\n'],
    ['a\nb\nc', 2, 'b\nc'],
    ['a\nb\nc\n', 5, 'a\nb\nc\n'],
    ['a\nb\nc\n', 0, ''],
    ['a\n\n\nb\n', 2, '\nb\n'],
    ['\n', 1, '\n'],
    ['', 3, ''],
  ])('%j, last %d: %j', (text, n, expected) => {
    expect(tail(text, n)).toBe(expected);
  });

  it('the same across chunk boundaries (chunks of 1 to 7 bytes)', () => {
    const text = Array.from({ length: 40 }, (_, i) => `line ${i} ${'x'.repeat(i % 9)}`).join('\n') + '\n';
    for (let chunk = 1; chunk <= 7; chunk++) {
      for (const n of [1, 3, 17, 40, 41]) expect(tail(text, n, chunk)).toBe(text.split('\n').slice(-n - 1).join('\n'));
    }
  });

  it('a missing file has nothing to skip', () => {
    expect(offsetOfLastLines(path.join(dir, 'none'), 3)).toBe(0);
  });
});
