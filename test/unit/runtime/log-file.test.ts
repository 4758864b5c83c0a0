import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logFilesOldestFirst, RotatingLog } from '../../../src/runtime/log-file.js';

describe('RotatingLog (max-size / max-file)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-log-file-'));
    file = path.join(dir, 'ctnr.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Every file of the log, oldest first, by name. */
  const files = () => Object.fromEntries(logFilesOldestFirst(file).map((f) => [path.basename(f), readFileSync(f, 'utf8')]));
  const writeAll = (log: RotatingLog, chunks: string[]) => {
    for (const c of chunks) log.write(Buffer.from(c));
    log.close();
  };

  it.each([
    {
      name: 'lines stay whole: a file takes the complete lines that fit, the rest starts the next',
      max: 10, keep: 3, chunks: ['aaa\nbbb\nccc\nddd\n'],
      expected: { 'ctnr.log.1': 'aaa\nbbb\n', 'ctnr.log': 'ccc\nddd\n' },
    },
    {
      name: 'only max-file files are kept, the newest rotated one is .1',
      max: 4, keep: 3, chunks: ['1\n2\n', '3\n4\n', '5\n6\n', '7\n'],
      expected: { 'ctnr.log.2': '3\n4\n', 'ctnr.log.1': '5\n6\n', 'ctnr.log': '7\n' },
    },
    {
      name: 'a line longer than max-size gets a file of its own',
      max: 4, keep: 3, chunks: ['ab\n', 'a-very-long-line\n', 'cd\n'],
      expected: { 'ctnr.log.2': 'ab\n', 'ctnr.log.1': 'a-very-long-line\n', 'ctnr.log': 'cd\n' },
    },
    {
      name: 'a line split over two writes is not split over two files when it fits',
      max: 8, keep: 2, chunks: ['abc\nde', 'f\ngh\n'],
      expected: { 'ctnr.log.1': 'abc\ndef\n', 'ctnr.log': 'gh\n' },
    },
    {
      name: 'max-file 1: the file starts again empty',
      max: 4, keep: 1, chunks: ['1\n2\n', '3\n'],
      expected: { 'ctnr.log': '3\n' },
    },
    {
      name: 'no max-size: one file, never rotated',
      max: undefined, keep: 1, chunks: ['x'.repeat(5000), '\n'],
      expected: { 'ctnr.log': `${'x'.repeat(5000)}\n` },
    },
  ])('$name', ({ max, keep, chunks, expected }) => {
    writeAll(new RotatingLog(file, max, keep), chunks);
    expect(files()).toEqual(expected);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
  });

  it('goes on from an existing log (a restarted monitor); the files it starts are 0600', () => {
    writeFileSync(file, 'old\n');
    writeAll(new RotatingLog(file, 8, 2), ['new\n', 'more\n']);
    expect(files()).toEqual({ 'ctnr.log.1': 'old\nnew\n', 'ctnr.log': 'more\n' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a rotation that fails throws and keeps no closed descriptor; the next write rotates and goes on', () => {
    // rename(ctnr.log, ctnr.log.1) fails while ctnr.log.1 is a directory that is not empty.
    mkdirSync(`${file}.1/x`, { recursive: true });
    const log = new RotatingLog(file, 4, 2);
    log.write(Buffer.from('1\n2\n'));
    expect(() => log.write(Buffer.from('3\n'))).toThrow();
    rmSync(`${file}.1`, { recursive: true });
    log.write(Buffer.from('4\n'));
    log.close();
    expect(files()).toEqual({ 'ctnr.log.1': '1\n2\n', 'ctnr.log': '4\n' });
  });

  it('logFilesOldestFirst: rotated files as far as they go on without a gap, then the log', () => {
    for (const n of ['ctnr.log', 'ctnr.log.1', 'ctnr.log.2', 'ctnr.log.4']) writeFileSync(path.join(dir, n), '');
    expect(logFilesOldestFirst(file).map((f) => path.basename(f))).toEqual(['ctnr.log.2', 'ctnr.log.1', 'ctnr.log']);
  });
});
