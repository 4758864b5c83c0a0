import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLayer, registryAvailable, startRegistry, type PushedImage, type TestRegistry } from '../helpers/registry.js';
import { e2eAvailable } from '../helpers/runc.js';
import { busyboxLayer, cli, errLines, mountsUnder, requireBuild, scratch, storeState, writeCompose, type Scratch } from './images-helpers.js';

/**
 * Images through the built CLI, as a user meets them: `ctnr pull`, `images`, `image inspect|rm|prune`, `spec` and
 * `run` of a compose service with only `image:`, pull policies, and multi-platform indexes. A docker-registry per
 * file on a free loopback port; images built by the test (a busybox layer).
 */

const ready = registryAvailable('image CLI e2e tests');
const canRun = ready && e2eAvailable('runc');

/** The image most tests use: busybox, a default command that says who and where it is, user `app` by name. */
const APP_CONFIG = {
  Entrypoint: ['/bin/sh', '-c'],
  Cmd: ['echo "$GREETING from $(id -un) ($(id -u):$(id -g)) in $(pwd)"'],
  Env: ['PATH=/usr/bin:/bin', 'GREETING=hello from the image'],
  WorkingDir: '/home/app',
  User: 'app',
};

describe.skipIf(!ready)('images through the CLI', () => {
  let reg: TestRegistry;
  let app: PushedImage;
  let ref: string;
  beforeAll(async () => {
    requireBuild();
    reg = await startRegistry();
    app = await reg.pushImage('demo/app', 'v1', { layers: [busyboxLayer()], config: APP_CONFIG });
    ref = `${reg.host}/demo/app:v1`;
  });
  afterAll(() => reg?.stop());

  describe('pull, images, inspect, rm, prune', () => {
    let s: Scratch;
    beforeAll(() => {
      s = scratch();
    });
    afterAll(() => s?.remove());
    const store = (args: string[]) => cli([...args, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });

    it('ctnr pull stores the manifest, config and layer and prints the reference and digest; nothing on stderr off a terminal', async () => {
      const r = await store(['pull', ref]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${ref} ${app.digest}\n`);
      expect(storeState(s.dataDir).blobs).toEqual([app.digest, app.config.digest, app.layers[0]!.digest].sort());
      expect(storeState(s.dataDir).ingest).toEqual([]);
    });

    it('ctnr images lists it (table and --json)', async () => {
      const r = await store(['images']);
      expect(r.status).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^REFERENCE\s+DIGEST\s+PLATFORM\s+SIZE\s+CREATED$/);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(new RegExp(`^${ref}\\s+${app.digest.slice(7, 19)}\\s+linux/amd64\\s+\\d`));
      const json = JSON.parse((await store(['images', '--json'])).stdout);
      expect(json).toEqual([
        expect.objectContaining({ reference: ref, digest: app.digest, platform: 'linux/amd64', size: app.config.size + app.layers[0]!.size }),
      ]);
      // `image ls` is the same listing
      expect((await store(['image', 'ls', '--json'])).stdout).toBe(JSON.stringify(json, null, 2) + '\n');
    });

    it('ctnr image inspect prints the config and the layers (by reference and by digest prefix)', async () => {
      const r = await store(['image', 'inspect', ref]);
      expect(r.status).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ reference: ref, digest: app.digest, platform: 'linux/amd64' });
      expect(doc.config.config).toEqual(APP_CONFIG);
      expect(doc.layers).toEqual([{ digest: app.layers[0]!.digest, mediaType: app.layers[0]!.mediaType, size: app.layers[0]!.size, diffId: app.diffIds[0] }]);
      const byDigest = await store(['image', 'inspect', app.digest.slice(7, 19)]);
      expect(JSON.parse(byDigest.stdout).digest).toBe(app.digest);
      const byFullDigest = await store(['image', 'inspect', app.digest]);
      expect(byFullDigest.stderr).toBe('');
      expect(JSON.parse(byFullDigest.stdout).digest).toBe(app.digest);
      const missing = await store(['image', 'inspect', `${reg.host}/demo/nope:1`]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toBe(`error: no image ${reg.host}/demo/nope:1 in the store ${path.join(s.dataDir, 'images')}\n`);
    });

    it('ctnr image rm forgets the reference; image prune then removes its blobs and its unpacked rootfs cache', async () => {
      // A bundle of the image leaves an unpacked rootfs in the store's cache.
      const file = writeCompose(s.dir, 'prune', `services:\n  app:\n    image: ${ref}\n`);
      const made = await store(['bundle', 'create', 'app', path.join(s.dir, 'bundle-prune'), '-f', file]);
      expect(made.status, made.stderr).toBe(0);
      expect(storeState(s.dataDir).rootfs).toHaveLength(1);

      // The same image under a second tag: its digest names both references, so rm by digest is refused (listing
      // them) while inspect by digest still works; rm by name removes one.
      await reg.pushManifest('demo/app', 'alias', app.bytes, app.mediaType);
      expect((await store(['pull', `${reg.host}/demo/app:alias`])).status).toBe(0);
      expect(JSON.parse((await store(['image', 'inspect', app.digest.slice(7, 19)])).stdout).digest).toBe(app.digest);
      const ambiguous = await store(['image', 'rm', app.digest.slice(7, 19)]);
      expect(ambiguous.status).toBe(1);
      expect(errLines(ambiguous.stderr)).toEqual([
        `error: image ${app.digest.slice(7, 19)} has several references (${reg.host}/demo/app:alias, ${ref}): remove them by name (all at once: ctnr image rm ${reg.host}/demo/app:alias ${ref})`,
      ]);
      expect((await store(['image', 'rm', `${reg.host}/demo/app:alias`])).stdout).toBe(`untagged ${reg.host}/demo/app:alias\n`);

      const rm = await store(['image', 'rm', ref]);
      expect(rm.status).toBe(0);
      expect(rm.stdout).toBe(`untagged ${ref}\n`);
      expect((await store(['images'])).stdout.trimEnd().split('\n')).toHaveLength(1);
      expect(JSON.parse((await store(['images', '--json'])).stdout)).toEqual([]);
      // rm alone keeps the blobs (until prune)
      expect(storeState(s.dataDir).blobs).toHaveLength(3);

      // A bundle whose rootfs is an overlay on the cache (root, where the kernel allows) keeps the cache through
      // a prune; the blobs go either way. Once the bundle is removed, the next prune takes the cache too.
      const bundleDir = path.join(s.dir, 'bundle-prune');
      const mounted = mountsUnder(path.join(bundleDir, 'rootfs')).length > 0;
      const prune = await store(['image', 'prune']);
      expect(prune.status).toBe(0);
      for (const d of [app.digest, app.config.digest, app.layers[0]!.digest]) expect(prune.stdout).toContain(`deleted blob ${d}\n`);
      expect(prune.stdout).toMatch(/^reclaimed .* of blobs, partial downloads and scratch directories$/m);
      expect(storeState(s.dataDir).blobs).toEqual([]);
      expect(storeState(s.dataDir).rootfs).toHaveLength(mounted ? 1 : 0);
      const removed = await store(['bundle', 'rm', bundleDir]);
      expect(removed.status, removed.stderr).toBe(0);
      expect(mountsUnder(s.dir)).toEqual([]);
      const prune2 = await store(['image', 'prune']);
      expect(storeState(s.dataDir).rootfs).toEqual([]);
      expect(prune.stdout + prune2.stdout).toMatch(/^deleted unpacked rootfs [a-f0-9]{64}$/m);
      // a second prune has nothing left to do
      expect((await store(['image', 'prune', '--json'])).stdout).toBe(JSON.stringify({ blobs: [], rootfs: [], partial: [], scratch: [], bytes: 0 }, null, 2) + '\n');
      // and the image is gone for good: rm of it again is an error
      const again = await store(['image', 'rm', ref]);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/^error: no image .* in the store/);
    });
  });

  describe('spec of a service with only image:', () => {
    let s: Scratch;
    beforeAll(() => {
      s = scratch();
    });
    afterAll(() => s?.remove());

    it('fills args, env, cwd and user from the image config; the user name resolves against the image\'s /etc/passwd', async () => {
      const file = writeCompose(s.dir, 'spec', `services:\n  app:\n    image: ${ref}\n`);
      const r = await cli(['spec', 'app', '-f', file, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
      expect(errLines(r.stderr)).toEqual([]);
      expect(r.status).toBe(0);
      const spec = JSON.parse(r.stdout);
      expect(spec.process.args).toEqual([...APP_CONFIG.Entrypoint, ...APP_CONFIG.Cmd]);
      expect(spec.process.env).toEqual(expect.arrayContaining(['PATH=/usr/bin:/bin', 'GREETING=hello from the image']));
      expect(spec.process.cwd).toBe('/home/app');
      // app is 1000:1000 in the image's /etc/passwd, and a member of audio (29) in its /etc/group
      expect(spec.process.user).toMatchObject({ uid: 1000, gid: 1000 });
      expect(spec.process.user.additionalGids ?? []).toContain(29);
    });

    it('with a user name, fetches only the layers down to the one holding /etc/passwd and /etc/group, and unpacks nothing', async () => {
      const top = makeLayer({ 'etc/': { type: 'dir' }, 'etc/passwd': 'root:x:0:0::/root:/bin/sh\nsvc:x:4242:4243::/srv:/bin/sh\n', 'etc/group': 'root:x:0:\nsvc:x:4243:\nextra:x:77:svc\n' });
      const pushed = await reg.pushImage('demo/names', 'v1', { layers: [busyboxLayer(), top], config: { ...APP_CONFIG, User: 'svc' } });
      const d = scratch();
      try {
        const file = writeCompose(d.dir, 'names', `services:\n  app:\n    image: ${reg.host}/demo/names:v1\n`);
        const r = await cli(['spec', 'app', '-f', file, '--data-dir', d.dataDir], { env: d.env, cwd: d.dir });
        expect(errLines(r.stderr)).toEqual([]);
        expect(r.status).toBe(0);
        const spec = JSON.parse(r.stdout);
        expect(spec.process.user).toMatchObject({ uid: 4242, gid: 4243, additionalGids: [77] });
        const st = storeState(d.dataDir);
        // the top layer was read; the big busybox layer below it was never downloaded
        expect(st.blobs).toEqual([pushed.digest, pushed.config.digest, pushed.layers[1]!.digest].sort());
        expect(st.rootfs).toEqual([]);
        // a second spec needs no registry: the identity files are kept, and --pull never is enough
        const again = await cli(['spec', 'app', '-f', file, '--data-dir', d.dataDir, '--pull', 'never'], { env: d.env, cwd: d.dir });
        expect(again.status, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout).process.user).toMatchObject({ uid: 4242, gid: 4243 });
      } finally {
        d.remove();
      }
    });

    it('with a numeric user, fetches only the manifest and config: no layer blob is stored and images does not list it', async () => {
      const numeric = await reg.pushImage('demo/numeric', 'v1', {
        layers: [busyboxLayer({ 'etc/numeric': 'yes\n' })],
        config: { ...APP_CONFIG, User: '1000:1000', Cmd: ['id'] },
      });
      const d = scratch();
      try {
        const file = writeCompose(d.dir, 'numeric', `services:\n  app:\n    image: ${reg.host}/demo/numeric:v1\n`);
        const r = await cli(['spec', 'app', '-f', file, '--data-dir', d.dataDir], { env: d.env, cwd: d.dir });
        expect(errLines(r.stderr)).toEqual([]);
        expect(r.status).toBe(0);
        const spec = JSON.parse(r.stdout);
        expect(spec.process.args).toEqual(['/bin/sh', '-c', 'id']);
        expect(spec.process.user).toMatchObject({ uid: 1000, gid: 1000 });
        const st = storeState(d.dataDir);
        expect(st.blobs).toEqual([numeric.digest, numeric.config.digest].sort());
        expect(st.rootfs).toEqual([]);
        expect(JSON.parse((await cli(['images', '--json', '--data-dir', d.dataDir], { env: d.env })).stdout)).toEqual([]);
      } finally {
        d.remove();
      }
    });
  });

  describe.skipIf(!canRun)('run of a service with only image:', () => {
    let s: Scratch;
    let file: string;
    beforeAll(() => {
      s = scratch();
      file = writeCompose(s.dir, 'run', `services:\n  app:\n    image: ${ref}\n    network_mode: none\n`);
    });
    afterAll(() => s?.remove());

    it('ctnr run (no --rootfs) pulls, unpacks and runs the image\'s default command', async () => {
      const r = await cli(['run', '-f', file, 'app', '--data-dir', s.dataDir, '--runtime', 'runc', '--rm'], { env: s.env, cwd: s.dir });
      expect(errLines(r.stderr)).toEqual([]);
      expect(r.stdout).toBe('hello from the image from app (1000:1000) in /home/app\n');
      expect(r.status).toBe(0);
      expect(JSON.parse((await cli(['images', '--json', '--data-dir', s.dataDir], { env: s.env })).stdout).map((i: any) => i.reference)).toEqual([ref]);
    });

    it('a second bundle of the same image reuses the unpacked rootfs cache (no second unpack)', async () => {
      const [cacheName] = storeState(s.dataDir).rootfs;
      expect(cacheName).toMatch(/^[a-f0-9]{64}$/);
      const cache = path.join(s.dataDir, 'images/rootfs', cacheName!);
      const before = statSync(cache);
      // A file only the cache has: a bundle copied from the cache has it, one unpacked afresh would not.
      writeFileSync(path.join(cache, 'cache-marker'), 'from the cache\n');
      const bundle = path.join(s.dir, 'bundle-2');
      const r = await cli(['bundle', 'create', 'app', bundle, '-f', file, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(path.join(bundle, 'rootfs/cache-marker'), 'utf8')).toBe('from the cache\n');
      expect(statSync(cache).ino).toBe(before.ino);
      expect(storeState(s.dataDir).rootfs).toEqual([cacheName]);
      // the bundle's rootfs is its own (a copy, or an overlay on the cache): what is written there stays there
      expect(JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')).root.path).toBe('rootfs');
      writeFileSync(path.join(bundle, 'rootfs/written-by-container'), 'x');
      expect(existsSync(path.join(cache, 'written-by-container'))).toBe(false);
      expect((await cli(['bundle', 'rm', bundle, '--data-dir', s.dataDir], { env: s.env })).status).toBe(0);
      expect(readFileSync(path.join(cache, 'cache-marker'), 'utf8')).toBe('from the cache\n');
    });
  });

  describe.skipIf(!canRun)('layer formats and changesets, run', () => {
    let s: Scratch;
    beforeAll(() => {
      s = scratch();
    });
    afterAll(() => s?.remove());
    const runImage = async (image: string, name: string) => {
      const file = writeCompose(s.dir, name, `services:\n  app:\n    image: ${image}\n    network_mode: none\n`);
      return cli(['run', '-f', file, 'app', '--data-dir', s.dataDir, '--runtime', 'runc', '--rm'], { env: s.env, cwd: s.dir });
    };
    const say = (text: string) => ({ Cmd: ['/bin/echo', text] });

    it.each([
      ['zstd OCI layers', { compression: 'zstd', format: 'oci' }],
      ['uncompressed OCI layers', { compression: 'none', format: 'oci' }],
      ['a docker v2s2 manifest (gzip)', { compression: 'gzip', format: 'docker' }],
    ] as const)('%s', async (what, spec) => {
      const repo = `formats/${spec.format}-${spec.compression}`;
      await reg.pushImage(repo, 'v1', { layers: [busyboxLayer()], config: say(what), ...spec });
      const r = await runImage(`${reg.host}/${repo}:v1`, repo.replace('/', '-'));
      expect(errLines(r.stderr)).toEqual([]);
      expect(r.stdout).toBe(`${what}\n`);
      expect(r.status).toBe(0);
    });

    it('whiteouts, an opaque directory, hard links and absolute symlinks apply as the layers say', async () => {
      const upper = makeLayer({
        'data/.wh.gone': '',
        'opaque/': { type: 'dir' },
        'opaque/.wh..wh..opq': '',
        'opaque/new': 'new\n',
        'data/twin': { type: 'hardlink', target: 'data/kept' },
        'usr/': { type: 'dir' },
        'usr/local/': { type: 'dir' },
        'usr/local/bin/': { type: 'dir' },
        'usr/local/bin/echo': { type: 'symlink', target: '/bin/busybox' },
      });
      const lower = busyboxLayer({ 'data/': { type: 'dir' }, 'data/kept': 'kept\n', 'data/gone': 'gone\n', 'opaque/': { type: 'dir' }, 'opaque/old': 'old\n' });
      const script = 'echo data=$(ls /data | tr "\\n" " "); echo opaque=$(ls /opaque | tr "\\n" " "); echo links=$(stat -c %h /data/kept); echo same=$([ /data/kept -ef /data/twin ] && echo yes); echo abs=$(readlink /usr/local/bin/echo); /usr/local/bin/echo via-abs';
      await reg.pushImage('formats/changes', 'v1', { layers: [lower, upper], config: { Entrypoint: ['/bin/sh', '-c'], Cmd: [script] } });
      const r = await runImage(`${reg.host}/formats/changes:v1`, 'changes');
      expect(errLines(r.stderr)).toEqual([]);
      expect(r.stdout).toBe('data=kept twin\nopaque=new\nlinks=2\nsame=yes\nabs=/bin/busybox\nvia-abs\n');
    });
  });

  describe.skipIf(!canRun)('pull policies', () => {
    let s: Scratch;
    let own: TestRegistry;
    beforeAll(async () => {
      s = scratch();
      own = await startRegistry();
    });
    afterAll(async () => {
      await own?.stop();
      s?.remove();
    });
    const run = (file: string, extra: string[] = []) => cli(['run', '-f', file, 'app', '--data-dir', s.dataDir, '--runtime', 'runc', '--rm', ...extra], { env: s.env, cwd: s.dir });
    const say = (text: string) => ({ ...APP_CONFIG, Cmd: [`echo ${text}`] });

    it('pull_policy: never with nothing stored: exit 1 naming the image and `ctnr pull`, nothing pulled', async () => {
      await own.pushImage('policy/app', 'v1', { layers: [busyboxLayer()], config: say('first') });
      const image = `${own.host}/policy/app:v1`;
      const file = writeCompose(s.dir, 'never', `services:\n  app:\n    image: ${image}\n    pull_policy: never\n    network_mode: none\n`);
      const r = await run(file);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(errLines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain(`image ${image} is needed but it is not in the store and the pull policy is "never" (run: ctnr pull ${image})`);
      expect(r.stderr).toContain('services.app.image');
      expect(storeState(s.dataDir).blobs).toEqual([]);
    });

    it('pull_policy: refresh pulls again once the stored copy is older than pull_refresh_after', async () => {
      await own.pushImage('policy/fresh', 'v1', { layers: [busyboxLayer()], config: say('first') });
      const image = `${own.host}/policy/fresh:v1`;
      const compose = (after: string) => writeCompose(s.dir, `refresh-${after}`, `services:\n  app:\n    image: ${image}\n    pull_policy: refresh\n    pull_refresh_after: ${after}\n    network_mode: none\n`);
      expect((await run(compose('1h'))).stdout).toBe('first\n');
      await own.pushImage('policy/fresh', 'v1', { layers: [busyboxLayer()], config: say('second') });
      // pulled a moment ago: younger than an hour, kept
      const kept = await run(compose('1h'));
      expect(errLines(kept.stderr)).toEqual([]);
      expect(kept.stdout).toBe('first\n');
      // older than a second: pulled again, and the new image runs
      await new Promise((r) => setTimeout(r, 1100));
      const refreshed = await run(compose('1s'));
      expect(errLines(refreshed.stderr)).toEqual([]);
      expect(refreshed.stdout).toBe('second\n');
    });

    it('--pull never after a pull runs with the registry stopped; --pull always pulls the re-pushed tag', async () => {
      const image = `${own.host}/policy/app:v1`;
      const file = writeCompose(s.dir, 'policy', `services:\n  app:\n    image: ${image}\n    network_mode: none\n`);
      expect((await run(file)).stdout).toBe('first\n');
      // A new image under the same tag: the default policy (missing) keeps the stored one.
      await own.pushImage('policy/app', 'v1', { layers: [busyboxLayer()], config: say('second') });
      expect((await run(file)).stdout).toBe('first\n');
      const always = await run(file, ['--pull', 'always']);
      expect(errLines(always.stderr)).toEqual([]);
      expect(always.stdout).toBe('second\n');
      await own.stop();
      const offline = await run(file, ['--pull', 'never']);
      expect(errLines(offline.stderr)).toEqual([]);
      expect(offline.stdout).toBe('second\n');
      expect(offline.status).toBe(0);
      // and with the registry gone, always is an error that names the registry
      const gone = await run(file, ['--pull', 'always']);
      expect(gone.status).toBe(1);
      expect(errLines(gone.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: .*cannot pull ${image}: ${own.host}/policy/app: connection refused by ${own.host}`))]);
    });
  });

  describe('multi-platform index', () => {
    let s: Scratch;
    let index: Awaited<ReturnType<TestRegistry['pushIndex']>>;
    beforeAll(async () => {
      s = scratch();
      index = await reg.pushIndex('demo/multi', 'v1', [
        { platform: { os: 'linux', architecture: 'amd64' }, layers: [makeLayer({ 'etc/arch': 'amd64\n' })] },
        { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, layers: [makeLayer({ 'etc/arch': 'arm64\n' })] },
      ]);
    });
    afterAll(() => s?.remove());
    const store = (args: string[]) => cli([...args, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });

    it('--platform linux/arm64 pulls the arm64 manifest (image inspect says so)', async () => {
      const r = await store(['pull', '--platform', 'linux/arm64', `${reg.host}/demo/multi:v1`]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const arm = index.images[1]!;
      expect(r.stdout).toBe(`${reg.host}/demo/multi:v1 ${arm.digest}\n`);
      const doc = JSON.parse((await store(['image', 'inspect', `${reg.host}/demo/multi:v1`])).stdout);
      expect(doc.digest).toBe(arm.digest);
      expect(doc.platform).toBe('linux/arm64/v8');
      expect(doc.config).toMatchObject({ os: 'linux', architecture: 'arm64' });
      expect(doc.layers.map((l: any) => l.digest)).toEqual(arm.layers.map((l) => l.digest));
      expect(storeState(s.dataDir).blobs).not.toContain(index.images[0]!.layers[0]!.digest);
    });

    it('linux/arm64 and linux/arm64/v8 are one platform: the stored image serves both with --pull never', async () => {
      const file = writeCompose(s.dir, 'arm', `services:\n  app:\n    image: ${reg.host}/demo/multi:v1\n    platform: linux/arm64/v8\n    command: ["true"]\n`);
      const r = await cli(['spec', 'app', '-f', file, '--pull', 'never', '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
      expect(errLines(r.stderr)).toEqual([]);
      expect(r.status).toBe(0);
      // another platform with --pull never: the error says which one the store has
      const amd = await cli(['spec', 'app', '-f', file, '--pull', 'never', '--platform', 'linux/amd64', '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
      expect(amd.status).toBe(1);
      expect(errLines(amd.stderr)).toEqual([expect.stringContaining('only its linux/arm64/v8 image is in the store, not linux/amd64 and the pull policy is "never"')]);
      const again = await store(['pull', '--platform', 'linux/arm64/v8', `${reg.host}/demo/multi:v1`]);
      expect(again.status).toBe(0);
      expect(JSON.parse((await store(['images', '--json'])).stdout)).toEqual([expect.objectContaining({ digest: index.images[1]!.digest, platform: 'linux/arm64/v8' })]);
    });

    it('a platform the index lacks: exit 1, the error lists the platforms it has', async () => {
      const r = await store(['pull', '--platform', 'linux/s390x', `${reg.host}/demo/multi:v1`]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(errLines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/linux\/s390x/);
      expect(r.stderr).toContain('linux/amd64');
      expect(r.stderr).toMatch(/linux\/arm64\/v8/);
    });
  });
});

