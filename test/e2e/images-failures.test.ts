import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLayer, registryAvailable, startRegistry, type PushedImage, type TestRegistry } from '../helpers/registry.js';
import { cli, errLines, requireBuild, scratch, spawnCli, startProxy, storeState, writeCompose, type Proxy, type Scratch } from './images-helpers.js';

/**
 * Pulls that go wrong, through the built CLI: a blob whose bytes do not match its digest, a pull killed with -9
 * in the middle of a big layer (the next pull resumes with Range), and two pulls of one image at once (each blob
 * downloaded once). A logging proxy in front of a docker-registry sees every request, slows or spoils a blob.
 */

const ready = registryAvailable('image pull failure e2e tests');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A layer made by makeLayer with `from` replaced by `to` in its names and link targets: hostile layers name a
 * directory of the test by its absolute path. Headers are rewritten and re-checksummed (ustar, no PAX).
 */
function rewriteTar(tar: Buffer, from: string, to: string): Buffer {
  const out = Buffer.from(tar);
  for (let off = 0; off + 512 <= out.length; ) {
    const header = out.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    for (const [start, len] of [[0, 100], [157, 100]] as const) {
      const field = header.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
      if (!field.includes(from)) continue;
      const text = field.replaceAll(from, to);
      if (Buffer.byteLength(text) > len) throw new Error(`rewriteTar: ${text} is too long for a ustar field`);
      header.fill(0, start, start + len);
      header.write(text, start, len, 'utf8');
    }
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    const size = Number.parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe.skipIf(!ready)('pulls that go wrong', () => {
  let reg: TestRegistry;
  let proxy: Proxy;
  beforeAll(async () => {
    requireBuild();
    reg = await startRegistry();
    proxy = await startProxy(reg.host);
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  describe('a corrupted blob', () => {
    let s: Scratch;
    let img: PushedImage;
    beforeAll(async () => {
      s = scratch();
      img = await reg.pushImage('bad/blob', 'v1', { layers: [makeLayer({ 'etc/a': 'a\n' }), makeLayer({ 'etc/b': 'spoiled on the way\n' })], config: { Cmd: ['true'] } });
    });
    afterAll(() => {
      proxy.tamper = undefined;
      s?.remove();
    });

    it('exit 1 naming the digest; nothing of the blob is kept and images lists no half image', async () => {
      const bad = img.layers[1]!.digest;
      proxy.tamper = bad;
      const r = await cli(['pull', `${proxy.host}/bad/blob:v1`, '--data-dir', s.dataDir], { env: s.env });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      const lines = errLines(r.stderr);
      expect(lines).toHaveLength(1);
      // one line naming the reference, where it came from, and the digest
      expect(lines[0]).toMatch(new RegExp(`^error: cannot pull ${proxy.host}/bad/blob:v1: ${proxy.host}/bad/blob: blob ${bad} hashes to sha256:[a-f0-9]{64}; nothing was kept$`));
      const st = storeState(s.dataDir);
      expect(st.blobs).not.toContain(bad);
      expect(st.ingest).toEqual([]);
      expect(JSON.parse((await cli(['images', '--json', '--data-dir', s.dataDir], { env: s.env })).stdout)).toEqual([]);
      // the bytes arrive intact next time: the pull completes
      proxy.tamper = undefined;
      const again = await cli(['pull', `${proxy.host}/bad/blob:v1`, '--data-dir', s.dataDir], { env: s.env });
      expect(again.stderr).toBe('');
      expect(again.status).toBe(0);
      expect(storeState(s.dataDir).blobs).toContain(bad);
      expect(JSON.parse((await cli(['images', '--json', '--data-dir', s.dataDir], { env: s.env })).stdout)).toHaveLength(1);
    });
  });

  describe('a connection dropped in the middle of a layer', () => {
    let s: Scratch;
    let img: PushedImage;
    beforeAll(async () => {
      s = scratch();
      img = await reg.pushImage('cut/layer', 'v1', { layers: [makeLayer({ data: randomBytes(512 * 1024) })], compression: 'none', config: { Cmd: ['true'] } });
    });
    afterAll(() => {
      proxy.cut = undefined;
      s?.remove();
    });

    it('exit 1 with one line naming the reference and the registry; the partial download is kept and the next pull resumes it', async () => {
      const layer = img.layers[0]!;
      proxy.cut = { digest: layer.digest, after: 200_000 };
      const ref = `${proxy.host}/cut/layer:v1`;
      const r = await cli(['pull', ref, '--data-dir', s.dataDir], { env: s.env });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(errLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: cannot pull ${ref}: ${proxy.host}/cut/layer: .*connection dropped by ${proxy.host}`))]);
      const partial = path.join(s.dataDir, 'images/ingest', `sha256-${layer.digest.slice(7)}.partial`);
      expect(statSync(partial).size).toBe(200_000);
      proxy.cut = undefined;
      const before = proxy.blobGets(layer.digest).length;
      const again = await cli(['pull', ref, '--data-dir', s.dataDir], { env: s.env });
      expect(again.stderr).toBe('');
      expect(again.status).toBe(0);
      expect(proxy.blobGets(layer.digest).slice(before)).toEqual([expect.objectContaining({ range: 'bytes=200000-' })]);
    });
  });

  describe('resume after kill -9', () => {
    let s: Scratch;
    let img: PushedImage;
    beforeAll(async () => {
      s = scratch();
      // 32 MiB of random bytes, uncompressed: every byte of it crosses the wire.
      img = await reg.pushImage('big/layer', 'v1', { layers: [makeLayer({ big: randomBytes(32 * 1024 * 1024) })], compression: 'none', config: { Cmd: ['true'] } });
    });
    afterAll(() => {
      proxy.throttle = undefined;
      s?.remove();
    });

    it('the next pull asks for the rest with Range from the partial file\'s size, and the blob verifies', async () => {
      const layer = img.layers[0]!;
      const hex = layer.digest.slice('sha256:'.length);
      const partial = path.join(s.dataDir, 'images/ingest', `sha256-${hex}.partial`);
      proxy.throttle = { digest: layer.digest, bytesPerSecond: 2 * 1024 * 1024 };
      const first = spawnCli(['pull', `${proxy.host}/big/layer:v1`, '--data-dir', s.dataDir], { env: s.env });
      const deadline = Date.now() + 30_000;
      while (!(existsSync(partial) && statSync(partial).size > 1024 * 1024) && Date.now() < deadline) await sleep(50);
      first.child.kill('SIGKILL');
      const killed = await first.done;
      expect(killed.signal).toBe('SIGKILL');
      const have = statSync(partial).size;
      expect(have).toBeGreaterThan(1024 * 1024);
      expect(have).toBeLessThan(layer.size);
      expect(storeState(s.dataDir).blobs).not.toContain(layer.digest);
      // an interrupted pull lists nothing
      expect(JSON.parse((await cli(['images', '--json', '--data-dir', s.dataDir], { env: s.env })).stdout)).toEqual([]);

      proxy.throttle = undefined;
      const before = proxy.blobGets(layer.digest).length;
      const second = await cli(['pull', `${proxy.host}/big/layer:v1`, '--data-dir', s.dataDir], { env: s.env });
      expect(second.stderr).toBe('');
      expect(second.status).toBe(0);
      const gets = proxy.blobGets(layer.digest).slice(before);
      expect(gets).toEqual([expect.objectContaining({ range: `bytes=${have}-` })]);
      const st = storeState(s.dataDir);
      expect(st.blobs).toContain(layer.digest);
      expect(statSync(path.join(s.dataDir, 'images/blobs/sha256', hex)).size).toBe(layer.size);
      // neither the partial file nor the dead process's lock is left behind
      expect(st.ingest).toEqual([]);
      expect(JSON.parse((await cli(['images', '--json', '--data-dir', s.dataDir], { env: s.env })).stdout)).toEqual([
        expect.objectContaining({ reference: `${proxy.host}/big/layer:v1`, digest: img.digest }),
      ]);
    });
  });

  describe('image prune after a pull killed with -9', () => {
    let s: Scratch;
    let img: PushedImage;
    beforeAll(async () => {
      s = scratch();
      img = await reg.pushImage('killed/prune', 'v1', { layers: [makeLayer({ big: randomBytes(4 * 1024 * 1024) })], compression: 'none', config: { Cmd: ['true'] } });
    });
    afterAll(() => {
      proxy.throttle = undefined;
      s?.remove();
    });

    it('removes the stale partial download and its dead owner\'s lock', async () => {
      const layer = img.layers[0]!;
      const base = `sha256-${layer.digest.slice(7)}`;
      const partial = path.join(s.dataDir, 'images/ingest', `${base}.partial`);
      proxy.throttle = { digest: layer.digest, bytesPerSecond: 1024 * 1024 };
      const first = spawnCli(['pull', `${proxy.host}/killed/prune:v1`, '--data-dir', s.dataDir], { env: s.env });
      const deadline = Date.now() + 30_000;
      while (!(existsSync(partial) && statSync(partial).size > 100_000) && Date.now() < deadline) await sleep(50);
      first.child.kill('SIGKILL');
      await first.done;
      expect(storeState(s.dataDir).ingest).toEqual([`${base}.lock`, `${base}.partial`]);
      const r = await cli(['image', 'prune', '--data-dir', s.dataDir], { env: s.env });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`deleted partial download ${base}.partial\n`);
      expect(storeState(s.dataDir).ingest).toEqual([]);
    });
  });

  describe('hostile layers through bundle create', () => {
    let s: Scratch;
    let sentinel: string;
    beforeAll(() => {
      s = scratch();
      sentinel = path.join(s.dir, 'outside');
      mkdirSync(sentinel);
      writeFileSync(path.join(sentinel, 'secret'), 'untouched\n');
    });
    afterAll(() => s?.remove());
    const outside = () => ({ files: readdirSync(sentinel).sort(), secret: readFileSync(path.join(sentinel, 'secret'), 'utf8'), links: statSync(path.join(sentinel, 'secret')).nlink });

    // `contained`: the write lands inside the root, at the sentinel's path below it; `refused`: one error line.
    it.each([
      ['a symlink planted in a lower layer, written through by an upper one', 'contained', [makeLayer({ escape: { type: 'symlink', target: '/OUT' } }), makeLayer({ 'escape/pwned': 'pwned\n' })]],
      ['a relative symlink climbing out', 'contained', [makeLayer({ up: { type: 'symlink', target: '../../../../../../../../OUT' } }), makeLayer({ 'up/pwned': 'pwned\n' })]],
      ['.. in an entry name', 'contained', [makeLayer({ '../../../../../../../../OUT/pwned': 'pwned\n' })]],
      ['an absolute entry name', 'contained', [makeLayer({ '/OUT/pwned': 'pwned\n' })]],
      ['a hard link to a file outside', 'refused', [makeLayer({ link: { type: 'hardlink', target: '/OUT/secret' } })]],
      ['a whiteout with ..', 'contained', [makeLayer({ '../../../../../../../../OUT/.wh.secret': '' })]],
    ] as const)('%s leaves the host untouched (%s)', async (what, outcome, layers) => {
      const before = outside();
      // The layers name the sentinel directory by its absolute path (short enough for ustar fields).
      const repo = `hostile/${what.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '')}`;
      const img = await reg.pushImage(repo, 'v1', { layers: layers.map((l) => rewriteTar(l, '/OUT', sentinel)), config: { Cmd: ['true'] } });
      const file = writeCompose(s.dir, repo.replace('/', '-'), `services:\n  app:\n    image: ${reg.host}/${repo}:v1\n`);
      const r = await cli(['bundle', 'create', 'app', path.join(s.dir, `bundle-${img.digest.slice(7, 15)}`), '-f', file, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
      expect(outside()).toEqual(before);
      if (outcome === 'refused') {
        expect(r.status).toBe(1);
        // one line naming the image and the layer
        expect(errLines(r.stderr)).toEqual([`error: cannot unpack ${reg.host}/${repo}:v1 (layer 1 of 1, ${img.layers[0]!.digest}): hard link link -> ${sentinel}/secret: the target is not in this layer or below it`]);
        // and no half-unpacked tree is left in the cache
        expect(storeState(s.dataDir).rootfs.filter((n) => n.startsWith('.'))).toEqual([]);
        return;
      }
      expect(r.status, r.stderr).toBe(0);
      const inside = path.join(s.dir, `bundle-${img.digest.slice(7, 15)}`, 'rootfs', sentinel);
      if (what.includes('whiteout')) expect(existsSync(inside)).toBe(false);
      else expect(readFileSync(path.join(inside, 'pwned'), 'utf8')).toBe('pwned\n');
    });
  });

  describe('two pulls of one image at once', () => {
    let s: Scratch;
    let img: PushedImage;
    beforeAll(async () => {
      s = scratch();
      img = await reg.pushImage('two/pulls', 'v1', {
        layers: [makeLayer({ slow: randomBytes(3 * 1024 * 1024) }), makeLayer({ 'etc/small': 'small\n' })],
        compression: 'none',
        config: { Cmd: ['true'] },
      });
    });
    afterAll(() => {
      proxy.throttle = undefined;
      s?.remove();
    });

    it('both exit 0 and each blob is downloaded once', async () => {
      // The big layer takes ~1.5 s: the second process arrives while the first holds its lock.
      proxy.throttle = { digest: img.layers[0]!.digest, bytesPerSecond: 2 * 1024 * 1024 };
      const ref = `${proxy.host}/two/pulls:v1`;
      const [a, b] = await Promise.all([
        cli(['pull', ref, '--data-dir', s.dataDir], { env: s.env }),
        sleep(200).then(() => cli(['pull', ref, '--data-dir', s.dataDir], { env: s.env })),
      ]);
      for (const r of [a, b]) {
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout).toBe(`${ref} ${img.digest}\n`);
      }
      for (const d of [img.config.digest, ...img.layers.map((l) => l.digest)]) expect(proxy.blobGets(d), d).toHaveLength(1);
      expect(storeState(s.dataDir).ingest).toEqual([]);
      expect(JSON.parse((await cli(['images', '--json', '--data-dir', s.dataDir], { env: s.env })).stdout)).toHaveLength(1);
    });
  });
});
