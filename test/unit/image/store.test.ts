import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/image/digest.js';
import { withLock } from '../../../src/image/lock.js';
import { isStale, parsePullPolicy } from '../../../src/image/policy.js';
import { ImageStore, type BlobOpener } from '../../../src/image/store.js';

let dir: string;
let store: ImageStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-store-'));
  store = new ImageStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const BLOB = Buffer.from('x'.repeat(5000) + 'y'.repeat(5000));
const DESC = { mediaType: 'application/octet-stream', digest: sha256(BLOB), size: BLOB.length };

/** A source serving `bytes`, honouring offsets when `ranges`, recording what was asked. */
function source(bytes: Buffer, opts: { ranges?: boolean; failAfter?: number } = {}) {
  const calls: number[] = [];
  const open: BlobOpener = async (offset) => {
    calls.push(offset);
    const start = opts.ranges === false ? 0 : offset;
    let body = bytes.subarray(start);
    if (opts.failAfter !== undefined) {
      const cut = body.subarray(0, opts.failAfter);
      const stream = new Readable({
        read() {
          this.push(cut);
          this.destroy(new Error('connection reset'));
        },
      });
      return { stream, offset: start };
    }
    return { stream: Readable.from([body.subarray(0, 3000), body.subarray(3000)]), offset: start };
  };
  return { open, calls };
}

describe('image store: blobs', () => {
  it('stores a blob after checking its digest and size', async () => {
    const s = source(BLOB);
    expect(await store.ingest(DESC, s.open)).toEqual({ cached: false });
    expect(store.readBlob(DESC.digest).equals(BLOB)).toBe(true);
    expect(await store.ingest(DESC, s.open)).toEqual({ cached: true });
    expect(s.calls).toEqual([0]);
  });

  it.each([
    ['wrong content', Buffer.from('z'.repeat(BLOB.length)), /hashes to sha256:/],
    ['short', BLOB.subarray(0, 100), /has 100 bytes, expected 10000/],
    ['long', Buffer.concat([BLOB, Buffer.from('extra')]), /larger than its descriptor/],
  ])('refuses a %s blob and keeps nothing of it', async (_name, bytes, message) => {
    await expect(store.ingest(DESC, source(bytes).open)).rejects.toMatchObject({ code: 'IMAGE_DIGEST', message: expect.stringMatching(message) });
    expect(store.hasBlob(DESC.digest)).toBe(false);
    expect(readdirSync(path.join(store.root, 'ingest')).filter((f) => !f.endsWith('.lock'))).toEqual([]);
  });

  it('resumes an interrupted download from where it stopped', async () => {
    await expect(store.ingest(DESC, source(BLOB, { failAfter: 4096 }).open)).rejects.toThrow(/connection reset/);
    expect(store.hasBlob(DESC.digest)).toBe(false);
    const s = source(BLOB);
    const events: string[] = [];
    await store.ingest(DESC, s.open, (e) => e.kind === 'blob-start' && events.push(`start@${e.offset}`));
    expect(s.calls).toEqual([4096]);
    expect(events).toEqual(['start@4096']);
    expect(store.readBlob(DESC.digest).equals(BLOB)).toBe(true);
  });

  it('starts over when the source ignores the range', async () => {
    await expect(store.ingest(DESC, source(BLOB, { failAfter: 4096 }).open)).rejects.toThrow();
    await store.ingest(DESC, source(BLOB, { ranges: false }).open);
    expect(store.readBlob(DESC.digest).equals(BLOB)).toBe(true);
  });

  it('downloads a blob once when two pulls want it at the same time', async () => {
    const s = source(BLOB);
    const results = await Promise.all([store.ingest(DESC, s.open), store.ingest(DESC, s.open)]);
    expect(s.calls).toEqual([0]);
    expect(results.map((r) => r.cached).sort()).toEqual([false, true]);
  });

  it('takes over the lock of a killed pull', async () => {
    const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    mkdirSync(path.join(store.root, 'ingest'), { recursive: true });
    const lock = path.join(store.root, 'ingest', `sha256-${DESC.digest.slice(7)}.lock`);
    writeFileSync(lock, dead);
    await store.ingest(DESC, source(BLOB).open);
    expect(store.hasBlob(DESC.digest)).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it('refuses content that does not match in writeBytes', () => {
    expect(() => store.writeBytes(sha256('a'), Buffer.from('b'))).toThrow(/does not match/);
    store.writeBytes(sha256('a'), Buffer.from('a'));
    expect(store.readBlob(sha256('a')).toString()).toBe('a');
  });

  it.each(['sha256:../../etc/passwd', 'sha256:ABC', 'md5:00', ''])('refuses %j as a digest (it becomes a file name)', (d) => {
    expect(() => store.blobPath(d)).toThrow(/is not a sha256 or sha512 digest/);
  });
});

describe('image store: references and locks', () => {
  it('records references under a lock, sorted', async () => {
    const rec = { manifest: sha256('m'), platform: 'linux/amd64', pulled: '2026-01-01T00:00:00.000Z', complete: true };
    await Promise.all([store.updateRefs((r) => void (r['b:1'] = rec)), store.updateRefs((r) => void (r['a:1'] = rec))]);
    expect(Object.keys(store.readRefs())).toEqual(['a:1', 'b:1']);
  });

  it('serialises critical sections', async () => {
    const order: string[] = [];
    const file = path.join(dir, 'x.lock');
    await Promise.all(
      ['a', 'b'].map((n) =>
        withLock(file, async () => {
          order.push(`${n}+`);
          await new Promise((r) => setTimeout(r, 30));
          order.push(`${n}-`);
        }),
      ),
    );
    expect(order.join(' ')).toMatch(/^(a\+ a- b\+ b-|b\+ b- a\+ a-)$/);
  });
});

describe('pull policies', () => {
  const now = Date.parse('2026-06-10T12:00:00Z');
  it.each([
    ['always', undefined, true],
    ['missing', '2020-01-01T00:00:00Z', false],
    ['never', undefined, false],
    ['daily', '2026-06-10T00:00:00Z', false],
    ['daily', '2026-06-09T11:00:00Z', true],
    ['weekly', '2026-06-05T00:00:00Z', false],
    ['every_12h', '2026-06-10T01:00:00Z', false],
    ['every_12h', '2026-06-09T23:00:00Z', true],
    ['every_2d', '2026-06-09T00:00:00Z', false],
  ])('%s with a copy pulled at %s: stale=%s', (policy, pulled, stale) => {
    expect(isStale(parsePullPolicy(policy, 'x'), pulled, now)).toBe(stale);
  });

  it.each(['sometimes', 'every_', 'every_xyz', 'every_-1h', 'every_0d'])('refuses %j with the key path', (p) => {
    expect(() => parsePullPolicy(p, 'services.web.pull_policy')).toThrow(expect.objectContaining({ path: 'services.web.pull_policy', message: expect.stringMatching(/^".*" is not a pull policy/) }));
  });

  it.each([
    ['12h', '2026-06-10T01:00:00Z', false],
    ['12h', '2026-06-09T23:00:00Z', true],
    ['2d', '2026-06-08T13:00:00Z', false],
    ['1w', '2026-06-02T00:00:00Z', true],
  ])('refresh after %s with a copy pulled at %s: stale=%s', (after, pulled, stale) => {
    expect(isStale(parsePullPolicy('refresh', 'services.web.pull_policy', { text: after, where: 'services.web.pull_refresh_after' }), pulled, now)).toBe(stale);
  });

  it('refresh needs a pull_refresh_after; --pull cannot give one', () => {
    expect(() => parsePullPolicy('refresh', 'services.web.pull_policy')).toThrow(expect.objectContaining({ path: 'services.web.pull_policy', message: expect.stringMatching(/needs pull_refresh_after/) }));
    expect(() => parsePullPolicy('refresh', '--pull')).toThrow(expect.objectContaining({ path: '--pull', message: expect.stringMatching(/use every_<duration>/) }));
  });
});
