import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLayer, registryAvailable, startRegistry, type PushedImage, type TestRegistry } from '../helpers/registry.js';
import { which } from '../helpers/runc.js';
import { CLI, requireBuild, scratch, startProxy, type Proxy, type Scratch } from './images-helpers.js';

/**
 * Pull progress as a user sees it on a terminal (util-linux `script` gives the CLI a pseudo-terminal and records
 * what it wrote): one line per layer with bytes and rate, redrawn in place and erased when the pull is done.
 * Off a terminal there is none (every other images-*.test.ts checks that stderr stays empty).
 */

const ready = registryAvailable('pull progress e2e tests') && which('script') !== undefined;

describe.skipIf(!ready)('pull progress on a terminal', () => {
  let reg: TestRegistry;
  let proxy: Proxy;
  let img: PushedImage;
  let s: Scratch;
  beforeAll(async () => {
    requireBuild();
    s = scratch();
    reg = await startRegistry();
    proxy = await startProxy(reg.host);
    img = await reg.pushImage('progress/app', 'v1', { layers: [makeLayer({ big: randomBytes(1_500_000) })], compression: 'none', config: { Cmd: ['true'] } });
    // about a second and a half: long enough for the rate to show
    proxy.throttle = { digest: img.layers[0]!.digest, bytesPerSecond: 1_000_000 };
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
    s?.remove();
  });

  /** What the CLI wrote to its terminal (stdout and stderr both). */
  const onTerminal = (args: string[]) =>
    new Promise<{ status: number | null; out: string }>((resolve) => {
      const quoted = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
      const child = spawn('script', ['-qec', quoted, '/dev/null'], { env: { ...s.env, TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (status) => resolve({ status, out }));
    });

  it('one line per layer with bytes, total and rate (whole, on a terminal that reports no width), erased before the result', async () => {
    const ref = `${proxy.host}/progress/app:v1`;
    const r = await onTerminal(['pull', ref, '--data-dir', s.dataDir]);
    expect(r.status).toBe(0);
    const short = img.layers[0]!.digest.slice(7, 19);
    expect(r.out).toMatch(new RegExp(`\\x1b\\[K${short}: \\d+(\\.\\d)? (KB|MB) / 1\\.4 MB \\d+(\\.\\d)? (KB|MB)/s\\r?\\n`));
    // erased (cursor up, clear to the end of the screen) before the pulled reference is printed
    const result = `${ref} ${img.digest}`;
    expect(r.out.indexOf(result)).toBeGreaterThan(r.out.lastIndexOf('\x1b[J'));
    expect(r.out.slice(r.out.lastIndexOf('\x1b[J') + 3)).toMatch(new RegExp(`^${result.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r?\\n$`));
  });
});
