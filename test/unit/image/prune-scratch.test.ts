import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneImages } from '../../../src/image/admin.js';
import { ImageStore, parseScratchName } from '../../../src/image/store.js';

/**
 * `image import` and builds work in a scratch directory of the store's root named after their process
 * (`.import-<pid>-XXXXXX`); one killed halfway leaves it (a saved image can be gigabytes). `image prune` removes
 * those whose process is gone, and only those.
 */
let dir: string;
let store: ImageStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-prune-scratch-'));
  store = new ImageStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid no process has now (a shell that has exited). */
const deadPid = () => Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim());

function fill(name: string, bytes: number): string {
  const at = path.join(store.root, name);
  mkdirSync(path.join(at, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(path.join(at, 'blobs', 'sha256', 'layer'), Buffer.alloc(bytes));
  writeFileSync(path.join(at, 'manifest.json'), '[]');
  return at;
}

describe('image prune and scratch directories', () => {
  it.each([
    ['.import-123-aB3xYz', { kind: 'import', pid: 123 }],
    ['.build-9-000000', { kind: 'build', pid: 9 }],
    ['.import-aB3xYz', { kind: 'import' }],
    ['.import-12-aB3x', undefined],
    ['.import-12-aB3xYz.tmp', undefined],
    ['.export-12-aB3xYz', undefined],
    ['import-12-aB3xYz', undefined],
  ])('%s is %j', (name, parsed) => {
    expect(parseScratchName(name)).toEqual(parsed);
  });

  it("the store names its scratch directories so: this process's", () => {
    const made = path.basename(store.scratchDir('import'));
    expect(parseScratchName(made)).toEqual({ kind: 'import', pid: process.pid });
    expect(parseScratchName(path.basename(store.scratchDir('build')))).toEqual({ kind: 'build', pid: process.pid });
  });

  it("removes a killed import's and build's, counts their bytes, and keeps a running one's", async () => {
    const dead = deadPid();
    fill(`.import-${dead}-aaaaaa`, 4096);
    fill(`.build-${dead}-bbbbbb`, 1000);
    const running = path.basename(store.scratchDir('import'));
    fill(running, 10);
    const r = await pruneImages(store);
    expect(r.scratch).toEqual([`.build-${dead}-bbbbbb`, `.import-${dead}-aaaaaa`]);
    expect(r.bytes).toBe(4096 + 2 + 1000 + 2);
    expect(readdirSync(store.root).filter((n) => n.startsWith('.'))).toEqual([running]);
  });

  it('one named before scratch directories carried a pid goes once it is a day old', async () => {
    const old = fill('.import-oldone', 10);
    const day = Date.now() / 1000 - 25 * 3600;
    utimesSync(old, day, day);
    fill('.import-recent', 10);
    const r = await pruneImages(store);
    expect(r.scratch).toEqual(['.import-oldone']);
    expect(readdirSync(store.root).filter((n) => n.startsWith('.'))).toEqual(['.import-recent']);
  });

  it('leaves what is not a scratch directory alone', async () => {
    for (const name of ['.import-12-aB3x', '.export-1-aaaaaa', 'import-1-aaaaaa']) fill(name, 10);
    const r = await pruneImages(store);
    expect(r.scratch).toEqual([]);
    expect(readdirSync(store.root).filter((n) => n.includes('port')).sort()).toEqual(['.export-1-aaaaaa', '.import-12-aB3x', 'import-1-aaaaaa']);
  });
});
