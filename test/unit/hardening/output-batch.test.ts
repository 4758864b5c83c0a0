import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputBatch } from '../../../src/cli/output-file.js';

describe('OutputBatch (spec --all -o DIR): one filesystem sync per group, same guarantees as -o FILE', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-batch-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('nothing appears under a final name before flush; flush renames every file into place, in order', () => {
    const batch = new OutputBatch();
    for (const name of ['b', 'a', 'c']) batch.add(path.join(dir, `${name}.json`), `{"${name}":1}\n`);
    expect(batch.size).toBe(3);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.tmp'))).toEqual([]);
    expect(batch.flush()).toEqual(['b', 'a', 'c'].map((n) => path.join(dir, `${n}.json`)));
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.json', 'c.json']);
    expect(readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe('{"a":1}\n');
    expect(batch.size).toBe(0);
  });

  it('replacing a file keeps its mode, as a redirect would', () => {
    const file = path.join(dir, 'web.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o600);
    const batch = new OutputBatch();
    batch.add(file, 'new');
    batch.flush();
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('follows a symlink to its target and writes through a device at once', () => {
    mkdirSync(path.join(dir, 'real'));
    symlinkSync(path.join(dir, 'real/target.json'), path.join(dir, 'link.json'));
    const batch = new OutputBatch();
    batch.add(path.join(dir, 'link.json'), 'via link');
    batch.add('/dev/null', 'discarded');
    expect(batch.size).toBe(1);
    batch.flush();
    expect(readFileSync(path.join(dir, 'real/target.json'), 'utf8')).toBe('via link');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('discard leaves no temporary file and no final file', () => {
    const batch = new OutputBatch();
    batch.add(path.join(dir, 'x.json'), 'x');
    batch.discard();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['a directory', (d: string) => (mkdirSync(path.join(d, 'taken.json')), path.join(d, 'taken.json')), /is a directory/],
    ['a missing parent', (d: string) => path.join(d, 'nope/x.json'), /its directory does not exist/],
  ])('refuses %s with a one-line OUTPUT_FAILED error', (_label, target, message) => {
    const batch = new OutputBatch();
    expect(() => batch.add(target(dir), 'x')).toThrow(message);
    expect(batch.size).toBe(0);
  });
});
