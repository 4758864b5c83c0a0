import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPlatform } from '../../src/image/platform.js';
import { MEDIA } from '../../src/image/types.js';
import { makeLayer, sha256 } from '../helpers/registry.js';
import { e2eAvailable } from '../helpers/runc.js';
import { crunNeedsWorkaround } from '../unit/bundle/cli.js';
import { busyboxLayer, cli, errLines, requireBuild, scratch, storeState, writeCompose, type Scratch } from './images-helpers.js';

/**
 * `type: image` volumes: another image's files, read-only, in a running container (runc and crun). The images come from
 * OCI layouts the test writes and `ctnr image import`s: no registry. A `subpath` through a link the image ships
 * is refused before anything is made, and `ctnr image prune` keeps an image's files while a bundle binds them.
 */

const ready = e2eAvailable('runc');
const runtimes = ready && e2eAvailable('crun') ? ['runc', 'crun'] : ['runc'];

/** An OCI image layout of one gzip layer with `config`. */
function writeLayout(dir: string, layer: Buffer, config: Record<string, unknown>): void {
  mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
  const put = (bytes: Buffer) => {
    const digest = sha256(bytes);
    writeFileSync(path.join(dir, 'blobs/sha256', digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  const { os, architecture } = hostPlatform();
  const blob = { mediaType: MEDIA.ociLayerGzip, ...put(gzipSync(layer)) };
  const cfg = { mediaType: MEDIA.ociConfig, ...put(Buffer.from(JSON.stringify({ architecture, os, config, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }))) };
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: cfg, layers: [blob] })));
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA.ociManifest, ...manifest }] }));
}

const PROBE = [
  'cat /opt/tools/share/greeting.txt',
  'cat /data/greeting.txt',
  'touch /data/new 2>/dev/null && echo writable || echo read-only',
  'grep -E " /(opt/tools|data) " /proc/mounts | cut -d" " -f2,4 | cut -d, -f1 | sort',
].join('; ');

describe.skipIf(!ready)('type: image volumes in a running container', () => {
  let s: Scratch;
  const compose = (name: string, volumes: string) =>
    writeCompose(s.dir, name, `services:\n  app:\n    image: app:1\n    network_mode: none\n    command: ['sh', '-c', '${PROBE}']\n    volumes:\n${volumes}`);
  const TWO_MOUNTS = [
    '      - type: image',
    '        source: tools:1',
    '        target: /opt/tools',
    '      - type: image',
    '        source: tools:1',
    '        target: /data',
    '        image:',
    '          subpath: share',
    '',
  ].join('\n');
  const flags = () => ['--data-dir', s.dataDir, '--pull', 'never'];

  beforeAll(async () => {
    requireBuild();
    s = scratch('ctnr-image-mounts-');
    writeLayout(path.join(s.dir, 'app'), busyboxLayer(), { Env: ['PATH=/bin'], Cmd: ['sh'] });
    writeLayout(
      path.join(s.dir, 'tools'),
      makeLayer({
        'share/': { type: 'dir' },
        'share/greeting.txt': 'hello from the tools image\n',
        'share/host-etc': { type: 'symlink', target: '/etc' },
      }),
      {},
    );
    for (const [dir, tag] of [['app', 'app:1'], ['tools', 'tools:1']] as const) {
      const r = await cli(['image', 'import', path.join(s.dir, dir), '--tag', tag, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });
  afterAll(() => s?.remove());

  it.each(runtimes)('ctnr run (%s): the whole image and a subpath of it are mounted read-only', async (runtime) => {
    const file = compose(`run-${runtime}`, TWO_MOUNTS);
    const r = await cli(['run', '-f', file, 'app', '--runtime', runtime, '--rm', ...flags()], { env: s.env, cwd: s.dir, crunWorkaround: runtime === 'crun' && crunNeedsWorkaround() });
    expect(errLines(r.stderr)).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(['hello from the tools image', 'hello from the tools image', 'read-only', '/data ro', '/opt/tools ro', ''].join('\n'));
  });

  it('ctnr spec names the files a bundle binds; image prune keeps them while the bundle exists', async () => {
    const file = compose('bundle', TWO_MOUNTS);
    const spec = await cli(['spec', '-f', file, 'app', ...flags()], { env: s.env, cwd: s.dir });
    expect(spec.status).toBe(0);
    const printed = JSON.parse(spec.stdout).mounts.filter((m: { destination: string }) => ['/opt/tools', '/data'].includes(m.destination));
    const cache = path.join(s.dataDir, 'images/rootfs');
    expect(printed).toEqual([
      { destination: '/opt/tools', type: 'bind', source: expect.stringMatching(new RegExp(`^${cache}/[a-f0-9]{64}$`)), options: ['rbind', 'rprivate', 'ro'] },
      { destination: '/data', type: 'bind', source: `${printed[0].source}/share`, options: ['rbind', 'rprivate', 'ro'] },
    ]);

    const created = await cli(['bundle', 'create', '-f', file, 'app', ...flags()], { env: s.env, cwd: s.dir });
    expect(errLines(created.stderr)).toEqual([]);
    expect(created.status).toBe(0);
    const bundle = path.join(s.dataDir, 'bundles', 'bundle-app');
    const written = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    expect(written.mounts.filter((m: { destination: string }) => ['/opt/tools', '/data'].includes(m.destination))).toEqual(printed);
    const toolsFiles = printed[0].source as string;
    expect(readFileSync(path.join(toolsFiles, 'share/greeting.txt'), 'utf8')).toBe('hello from the tools image\n');
    expect(JSON.parse(readFileSync(path.join(bundle, 'ctnr.json'), 'utf8')).imageMounts).toEqual([
      { source: 'tools:1', path: toolsFiles, manifest: expect.stringMatching(/^sha256:/) },
    ]);

    // The image goes from the store; its unpacked files stay while the bundle binds them, and go after.
    expect((await cli(['image', 'rm', 'tools:1', '--data-dir', s.dataDir], { env: s.env })).status).toBe(0);
    const kept = await cli(['image', 'prune', '--data-dir', s.dataDir], { env: s.env });
    expect(kept.status).toBe(0);
    expect(existsSync(path.join(toolsFiles, 'share/greeting.txt'))).toBe(true);
    expect(storeState(s.dataDir).rootfs).toContain(path.basename(toolsFiles));
    expect((await cli(['bundle', 'rm', 'bundle-app', '--data-dir', s.dataDir], { env: s.env })).status).toBe(0);
    const pruned = await cli(['image', 'prune', '--data-dir', s.dataDir], { env: s.env });
    expect(pruned.stdout).toContain(`deleted unpacked rootfs ${path.basename(toolsFiles)}`);
    expect(existsSync(toolsFiles)).toBe(false);
    // imported again for the tests after this one
    expect((await cli(['image', 'import', path.join(s.dir, 'tools'), '--tag', 'tools:1', '--data-dir', s.dataDir], { env: s.env })).status).toBe(0);
  });

  it.each([
    { what: 'a subpath through a link the image ships', subpath: 'share/host-etc/passwd', message: '"share/host-etc/passwd": "share/host-etc" is a symbolic link (a link could lead out of it; ctnr follows none) in image tools:1' },
    { what: 'a subpath the image does not have', subpath: 'nothing/here', message: '"nothing/here": "nothing" does not exist in image tools:1' },
  ])('refused before anything is made: $what', async ({ subpath, message }) => {
    const name = `refused-${subpath.split('/')[0]}`;
    const file = compose(name, ['      - type: image', '        source: tools:1', '        target: /data', '        image:', `          subpath: ${subpath}`, ''].join('\n'));
    const r = await cli(['run', '-f', file, 'app', '--runtime', 'runc', '--rm', ...flags()], { env: s.env, cwd: s.dir });
    expect(r.status).toBe(1);
    expect(errLines(r.stderr)).toEqual([`error: ${name}/compose.yaml:11:11 [ctnr:volumes] services.app.volumes[0].image.subpath: ${message}`, '    stage mounts · from defaults › ctnr:preset-default']);
    expect(existsSync(path.join(s.dataDir, 'bundles', `${name}-app`))).toBe(false);
  });

  it('an image that is not in the store is an error at the volume, with pull policy never', async () => {
    const file = compose('missing', ['      - type: image', '        source: absent:9', '        target: /data', ''].join('\n'));
    const r = await cli(['spec', '-f', file, 'app', ...flags()], { env: s.env, cwd: s.dir });
    expect(r.status).toBe(1);
    expect(errLines(r.stderr)).toEqual(['error: missing/compose.yaml:8:9 services.app.volumes[0].source: image docker.io/library/absent:9 is needed but it is not in the store and the pull policy is "never" (run: ctnr pull absent:9)']);
  });
});
