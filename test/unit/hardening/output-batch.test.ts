import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputBatch } from '../../../src/cli/output-file.js';

describe('OutputBatch (spec --all -o DIR): one filesystem sync per group, same guarantees as -o FILE', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-batch-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('nothing appears under a final name before flush; flush renames every file into place, in order', async () => {
    const batch = new OutputBatch();
    for (const name of ['b', 'a', 'c']) await batch.add(path.join(dir, `${name}.json`), `{"${name}":1}\n`);
    expect(batch.size).toBe(3);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.tmp'))).toEqual([]);
    expect(await batch.flush()).toEqual(['b', 'a', 'c'].map((n) => ({ file: path.join(dir, `${n}.json`) })));
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.json', 'c.json']);
    expect(readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe('{"a":1}\n');
    expect(batch.size).toBe(0);
  });

  it('replacing a file keeps its mode, as a redirect would', async () => {
    const file = path.join(dir, 'web.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o600);
    const batch = new OutputBatch();
    await batch.add(file, 'new');
    await batch.flush();
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('follows a symlink to its target and writes through a device at once', async () => {
    mkdirSync(path.join(dir, 'real'));
    symlinkSync(path.join(dir, 'real/target.json'), path.join(dir, 'link.json'));
    const batch = new OutputBatch();
    await batch.add(path.join(dir, 'link.json'), 'via link');
    expect(batch.add('/dev/null', 'discarded')).toBeUndefined();
    expect(batch.size).toBe(1);
    await batch.flush();
    expect(readFileSync(path.join(dir, 'real/target.json'), 'utf8')).toBe('via link');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('discard leaves no temporary file and no final file', async () => {
    const batch = new OutputBatch();
    batch.add(path.join(dir, 'x.json'), 'x');
    await batch.discard();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('many files: the caller is asked to yield while writes are in flight, and every file lands once', async () => {
    const batch = new OutputBatch();
    let waits = 0;
    for (let i = 0; i < 200; i++) {
      const wait = batch.add(path.join(dir, `s${i}.json`), `{"i":${i}}`);
      if (wait) {
        waits++;
        await wait;
      }
      if (i === 99) await batch.flush();
    }
    const second = await batch.flush();
    expect(waits).toBeGreaterThan(0);
    expect(second.map((f) => f.file)).toEqual(Array.from({ length: 100 }, (_, i) => path.join(dir, `s${i + 100}.json`)));
    expect(readdirSync(dir).length).toBe(200);
    expect(readFileSync(path.join(dir, 's150.json'), 'utf8')).toBe('{"i":150}');
  });

  it.runIf(process.getuid?.() === 0)('a write that fails later (a full disk) is reported for its file; the rest of the group lands and no temporary file is left', async () => {
    const small = path.join(dir, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'ctnr-test', small]);
    try {
      // The file that fits is on another filesystem: the writes run side by side, and on the small one whichever
      // came second would find it full.
      const batch = new OutputBatch();
      await batch.add(path.join(dir, 'fits.json'), 'x');
      await batch.add(path.join(small, 'huge.json'), 'y'.repeat(64 * 1024));
      const flushed = await batch.flush();
      expect(flushed[0]).toEqual({ file: path.join(dir, 'fits.json') });
      expect(flushed[1]!.file).toBe(path.join(small, 'huge.json'));
      expect(flushed[1]!.error?.message).toMatch(/^cannot write .*huge\.json: .*(space|ENOSPC)/i);
      expect(readFileSync(path.join(dir, 'fits.json'), 'utf8')).toBe('x');
      expect(readdirSync(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
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
