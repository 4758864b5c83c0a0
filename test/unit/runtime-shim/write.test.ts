import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAtomic, writeAtomicAll } from '../../../src/runtime-shim/write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-write-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic writes of the bundle files', () => {
  it('writeAtomic replaces a file with the old mode, and leaves no temporary file', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, 'old');
    writeAtomic(file, 'new', { mode: 0o100600, uid: process.getuid!(), gid: process.getgid!() });
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o7777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it('writeAtomicAll replaces every file, each with the mode given, and leaves no temporary file', async () => {
    const spec = path.join(dir, 'config.json');
    const trace = path.join(dir, 'ctnr-trace.json');
    writeFileSync(spec, 'old spec');
    const like = { mode: 0o100640, uid: process.getuid!(), gid: process.getgid!() };
    await writeAtomicAll([{ file: spec, content: 'new spec', like }, { file: trace, content: 'trace', like }]);
    expect(readFileSync(spec, 'utf8')).toBe('new spec');
    expect(readFileSync(trace, 'utf8')).toBe('trace');
    expect([statSync(spec).mode & 0o7777, statSync(trace).mode & 0o7777]).toEqual([0o640, 0o640]);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'ctnr-trace.json']);
  });

  it('writeAtomicAll changes nothing when one of the files cannot be written', async () => {
    const spec = path.join(dir, 'config.json');
    writeFileSync(spec, 'old spec');
    await expect(writeAtomicAll([{ file: spec, content: 'new spec' }, { file: path.join(dir, 'missing', 'ctnr-trace.json'), content: 'trace' }])).rejects.toThrow(/ENOENT/);
    expect(readFileSync(spec, 'utf8')).toBe('old spec');
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it('writeAtomicAll with one file or none', async () => {
    const spec = path.join(dir, 'config.json');
    await writeAtomicAll([]);
    await writeAtomicAll([{ file: spec, content: 'only' }]);
    expect(readFileSync(spec, 'utf8')).toBe('only');
    expect(statSync(spec).mode & 0o7777).toBe(0o644);
  });
});
