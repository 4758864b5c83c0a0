import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSubordinateRanges } from '../../plugins/rootless/rootless.js';
import { gzip, tarArchive, type TarSpec } from '../helpers/tar.js';
import { which } from '../helpers/runc.js';
import { IN_CI, REPO } from '../helpers/shared.js';

/**
 * Rootless unpacking as a real unprivileged user (made with useradd, run with setpriv, as rootless.test.ts does):
 * with subordinate ids the owners land on the mapped host ids (a helper in a user namespace made by newuidmap);
 * without, they are squashed to the user with one warning.
 */

const USER = 'ctnr-e2e-unpack';

const ready = (() => {
  const missing = [process.getuid?.() !== 0 && 'root', ...['useradd', 'userdel', 'setpriv', 'unshare', 'newuidmap', 'newgidmap'].filter((c) => !which(c))].filter(Boolean);
  if (missing.length === 0) return true;
  const msg = `rootless unpack e2e needs ${missing.join(', ')}`;
  if (IN_CI) throw new Error(`${msg}, and CI=true: .ci/run must install them`);
  console.warn(`skipping ${msg}`);
  return false;
})();

const UNPACK = path.join(REPO, 'src/image/unpack.ts');
const USERNS = path.join(REPO, 'src/image/unpack-userns.ts');
const IDMAP = path.join(REPO, 'src/image/idmap.ts');
const JITI = path.join(path.dirname(createRequire(import.meta.url).resolve('jiti/package.json')), 'lib/jiti-register.mjs');

describe.skipIf(!ready)('rootless layer unpacking by an unprivileged user', () => {
  let uid: number;
  let gid: number;
  let tmp: string;
  let counter = 0;

  beforeAll(() => {
    spawnSync('userdel', [USER], { stdio: 'ignore' });
    // useradd gives the new user subordinate ranges in /etc/subuid and /etc/subgid (SUB_UID_COUNT in login.defs)
    const add = spawnSync('useradd', ['--no-create-home', '--shell', '/bin/sh', USER], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`useradd failed: ${add.stderr}`);
    uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', USER], { encoding: 'utf8' }).stdout.trim());
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-e2e-unpack-'));
    chmodSync(tmp, 0o755);
    // jiti's transpile cache, writable by the user: the sources are transpiled once, not per layer
    mkdirSync(path.join(tmp, 'jiti-cache'));
    chownSync(path.join(tmp, 'jiti-cache'), uid, gid);
    // The script the user runs: applyLayer from the sources (through jiti, as the unpack helper itself is run).
    writeFileSync(path.join(tmp, 'apply.ts'), `
import { createReadStream, readFileSync } from 'node:fs';
import { applyLayer } from ${JSON.stringify(UNPACK)};
import { rootlessIdMapping } from ${JSON.stringify(IDMAP)};
import { runInUserNamespace } from ${JSON.stringify(USERNS)};
const [root, layer, subids] = process.argv.slice(2);
const read = (f: string) => (subids === 'yes' ? readFileSync(f, 'utf8') : '');
const idMapping = rootlessIdMapping({ uid: process.getuid!(), gid: process.getgid!(), name: ${JSON.stringify(USER)} }, read('/etc/subuid'), read('/etc/subgid'));
try {
  if (layer === 'remove') {
    await runInUserNamespace(idMapping, ['rm', '-rf', '--', root!]);
    console.log('{}');
    process.exit(0);
  }
  const r = await applyLayer(root!, createReadStream(layer!), { compression: 'gzip', idMapping });
  console.log(JSON.stringify(r));
} catch (err) {
  console.log(JSON.stringify({ error: { code: (err as { code?: string }).code, message: (err as Error).message } }));
}
`);
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    spawnSync('userdel', [USER], { stdio: 'ignore' });
  });

  /** Unpack `layers` as the user into a fresh root of theirs: every layer's warnings, or the first error. */
  const unpackAsUser = (layers: TarSpec[][], subids: 'yes' | 'no') => {
    // in a directory of the user's, as a rootless image store would be
    const home = path.join(tmp, `user-${++counter}`);
    const root = path.join(home, 'rootfs');
    for (const dir of [home, root]) {
      mkdirSync(dir, { mode: 0o755 });
      chownSync(dir, uid, gid);
    }
    const out: { warnings: unknown[]; error?: unknown } = { warnings: [] };
    for (const [i, entries] of layers.entries()) {
      const layer = path.join(tmp, `layer-${counter}-${i}.tar.gz`);
      writeFileSync(layer, gzip(tarArchive(entries)), { mode: 0o644 });
      const r = spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--init-groups', process.execPath, '--import', JITI, path.join(tmp, 'apply.ts'), root, layer, subids], {
        encoding: 'utf8', cwd: tmp, timeout: 60_000, env: { PATH: process.env.PATH, HOME: tmp, JITI_FS_CACHE: path.join(tmp, 'jiti-cache') },
      });
      expect(r.stderr).toBe('');
      const result = JSON.parse(r.stdout);
      if (result.error) {
        out.error = result.error;
        break;
      }
      out.warnings.push(...result.warnings);
    }
    return { root, out };
  };

  it('image ids land on the mapped host ids; modes, setuid bits and read-only directories survive', () => {
    const [range] = readSubordinateRanges(readFileSync('/etc/subuid', 'utf8'), [USER]);
    const [grange] = readSubordinateRanges(readFileSync('/etc/subgid', 'utf8'), [USER]);
    if (!range || !grange) throw new Error(`useradd gave ${USER} no subordinate ranges`);
    const { root, out } = unpackAsUser([
      [
        { name: 'etc/', type: 'dir' },
        { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
        { name: 'home/app/', type: 'dir', mode: 0o700, uid: 1000, gid: 1000 },
        { name: 'home/app/.profile', content: 'x', mode: 0o600, uid: 1000, gid: 1000 },
        { name: 'nobody', content: 'x', uid: 65534, gid: 65534 },
        { name: 'usr/bin/tool', content: 'x', mode: 0o4755, uid: 1000, gid: 1000 },
        { name: 'ro/', type: 'dir', mode: 0o555 },
        { name: 'ro/f', content: 'x', uid: 1000 },
        { name: 'link', type: 'symlink', linkname: '/etc/passwd', uid: 1000, gid: 1000 },
        { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 },
      ],
      // an upper layer writes into the lower layer's read-only and other-owned directories
      [{ name: 'ro/g', content: 'y' }, { name: 'home/app/.wh..profile' }, { name: 'home/app/new', content: 'n', uid: 1000, gid: 1000 }],
    ], 'yes');
    expect(out.error).toBeUndefined();
    expect(out.warnings).toEqual([{ code: 'DEVICE_SKIPPED', message: 'device nodes cannot be created in a user namespace: /dev/null' }]);
    const ids = (p: string) => {
      const st = lstatSync(path.join(root, p));
      return [st.uid, st.gid];
    };
    expect(ids('etc/passwd')).toEqual([uid, gid]);
    expect(ids('home/app')).toEqual([range.start + 999, grange.start + 999]);
    expect(ids('home/app/new')).toEqual([range.start + 999, grange.start + 999]);
    expect(ids('nobody')).toEqual([range.start + 65533, grange.start + 65533]);
    expect(ids('link')).toEqual([range.start + 999, grange.start + 999]);
    expect(ids('ro/g')).toEqual([uid, gid]);
    expect(statSync(path.join(root, 'usr/bin/tool')).mode & 0o7777).toBe(0o4755);
    expect(statSync(path.join(root, 'home/app')).mode & 0o7777).toBe(0o700);
    expect(statSync(path.join(root, 'ro')).mode & 0o7777).toBe(0o555);
    expect(spawnSync('ls', [path.join(root, 'home/app')], { encoding: 'utf8' }).stdout.trim()).toBe('new');

    // The user cannot remove such a tree by itself (home/app is another id's 0700 directory); in the namespace it can.
    const asUser = ['--reuid', String(uid), '--regid', String(gid), '--init-groups'];
    expect(spawnSync('setpriv', [...asUser, 'rm', '-rf', root]).status).not.toBe(0);
    const rm = spawnSync('setpriv', [...asUser, process.execPath, '--import', JITI, path.join(tmp, 'apply.ts'), root, 'remove', 'yes'], {
      encoding: 'utf8', cwd: tmp, env: { PATH: process.env.PATH, HOME: tmp, JITI_FS_CACHE: path.join(tmp, 'jiti-cache') },
    });
    expect([rm.stderr, rm.stdout.trim()]).toEqual(['', '{}']);
    expect(existsSync(root)).toBe(false);
  });

  it('an owner beyond the subordinate range is a clear error', () => {
    const { out } = unpackAsUser([[{ name: 'far', content: 'x', uid: 200_000 }]], 'yes');
    expect(out.error).toEqual({ code: 'IMAGE_UNPACK', message: expect.stringMatching(/far: owner 200000:0 is not mapped in the user namespace: the subordinate id ranges in \/etc\/subuid and \/etc\/subgid are too small/) });
  });

  it('without subordinate ids: everything is the user\'s, with one warning', () => {
    const { root, out } = unpackAsUser([
      [{ name: 'a', content: 'x', uid: 1000 }, { name: 'b', content: 'x', gid: 5 }, { name: 'ro/', type: 'dir', mode: 0o555 }, { name: 'ro/f', content: 'x' }],
      [{ name: 'ro/g', content: 'y' }, { name: 'ro/.wh.f' }],
    ], 'no');
    expect(out.error).toBeUndefined();
    expect(out.warnings).toEqual([{ code: 'OWNER_SQUASHED', message: expect.stringMatching(/^2 file\(s\) owned by other users or groups in the image were unpacked as owned by you: you have no subordinate ids/) }]);
    for (const p of ['a', 'b', 'ro', 'ro/g']) expect(lstatSync(path.join(root, p)).uid).toBe(uid);
    expect(statSync(path.join(root, 'ro')).mode & 0o777).toBe(0o555);
    expect(spawnSync('ls', [path.join(root, 'ro')], { encoding: 'utf8' }).stdout.trim()).toBe('g');
  });
});
