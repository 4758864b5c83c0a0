import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPlatform } from '../../src/image/platform.js';
import { MEDIA } from '../../src/image/types.js';
import { registryAvailable, sha256 } from '../helpers/registry.js';
import { e2eAvailable } from '../helpers/runc.js';
import { busyboxLayer, cli, errLines, requireBuild, scratch, storeState, writeCompose, type Scratch } from './images-helpers.js';

/**
 * `ctnr image import` of what other tools save — a `docker save` tarball and an OCI archive, both written by
 * skopeo from an OCI layout the test builds by hand, and the layout directory itself — then `ctnr run` of a
 * compose service naming the imported image: its default command runs, with no registry anywhere.
 */

const ready = registryAvailable('image import e2e tests', ['skopeo']) && e2eAvailable('runc');

const CONFIG = {
  Entrypoint: ['/bin/sh', '-c'],
  Cmd: ['echo "imported: $WHO as $(id -un) in $(pwd)"'],
  Env: ['PATH=/bin', 'WHO=saved image'],
  WorkingDir: '/home/app',
  User: 'app',
};

/** An OCI image layout with one image (a busybox layer, gzip) under the ref name `src`. */
function writeLayout(dir: string): { manifestDigest: string; configDigest: string } {
  mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
  const put = (bytes: Buffer) => {
    const digest = sha256(bytes);
    writeFileSync(path.join(dir, 'blobs/sha256', digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  const tar = busyboxLayer();
  const layer = { mediaType: MEDIA.ociLayerGzip, ...put(gzipSync(tar)) };
  const { os, architecture } = hostPlatform();
  const config = { mediaType: MEDIA.ociConfig, ...put(Buffer.from(JSON.stringify({ architecture, os, config: CONFIG, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }))) };
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [layer] })));
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA.ociManifest, ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'src' } }] }),
  );
  return { manifestDigest: manifest.digest, configDigest: config.digest };
}

function skopeo(...args: string[]): void {
  const r = spawnSync('skopeo', ['copy', '--quiet', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo copy ${args.join(' ')}: ${r.stderr}`);
}

describe.skipIf(!ready)('ctnr image import, then ctnr run of the imported image', () => {
  let s: Scratch;
  let layout: string;
  let configDigest: string;
  beforeAll(() => {
    requireBuild();
    s = scratch();
    layout = path.join(s.dir, 'layout');
    ({ configDigest } = writeLayout(layout));
  });
  afterAll(() => s?.remove());

  const run = async (image: string, name: string) => {
    const file = writeCompose(s.dir, name, `services:\n  app:\n    image: ${image}\n    network_mode: none\n`);
    return cli(['run', '-f', file, 'app', '--data-dir', s.dataDir, '--runtime', 'runc', '--rm', '--pull', 'never'], { env: s.env, cwd: s.dir });
  };

  it('a docker save tarball: imported under its RepoTags, and its default command runs', async () => {
    const file = path.join(s.dir, 'saved.tar');
    skopeo(`oci:${layout}:src`, `docker-archive:${file}:imported/app:v1`);
    const r = await cli(['image', 'import', file, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^docker\.io\/imported\/app:v1 sha256:[a-f0-9]{64}\n$/);
    const listed = JSON.parse((await cli(['images', '--json', '--data-dir', s.dataDir], { env: s.env })).stdout);
    expect(listed).toEqual([expect.objectContaining({ reference: 'docker.io/imported/app:v1', platform: `linux/${hostPlatform().architecture}${hostPlatform().variant ? `/${hostPlatform().variant}` : ''}` })]);
    // nothing of the unpacked archive is left behind
    expect(storeState(s.dataDir).ingest).toEqual([]);
    const ran = await run('imported/app:v1', 'docker-save');
    expect(errLines(ran.stderr)).toEqual([]);
    expect(ran.stdout).toBe('imported: saved image as app in /home/app\n');
    expect(ran.status).toBe(0);
  });

  it('an OCI archive (its ref name is only a tag: --tag names the image) runs the same way', async () => {
    const file = path.join(s.dir, 'image.oci.tar');
    skopeo(`oci:${layout}:src`, `oci-archive:${file}:v2`);
    const r = await cli(['image', 'import', file, '--tag', 'example.test/oci/app:v2', '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^example\.test\/oci\/app:v2 sha256:[a-f0-9]{64}\n$/);
    const doc = JSON.parse((await cli(['image', 'inspect', 'example.test/oci/app:v2', '--data-dir', s.dataDir], { env: s.env })).stdout);
    expect(doc.config.config).toMatchObject({ Cmd: CONFIG.Cmd, User: 'app' });
    const ran = await run('example.test/oci/app:v2', 'oci-archive');
    expect(errLines(ran.stderr)).toEqual([]);
    expect(ran.stdout).toBe('imported: saved image as app in /home/app\n');
  });

  it('an archive that names no image: imported untagged with a warning that says how to name it', async () => {
    const file = path.join(s.dir, 'nameless.tar');
    skopeo(`oci:${layout}:src`, `docker-archive:${file}`);
    const r = await cli(['image', 'import', file, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
    expect(r.status).toBe(0);
    const [, digest] = /^\(untagged\) (sha256:[a-f0-9]{64})\n$/.exec(r.stdout) ?? [];
    expect(digest).toBeDefined();
    expect(errLines(r.stderr)).toEqual([
      `warning: image ${digest} from ${file} has no name in the archive, so nothing can run it and the next \`ctnr image prune\` removes it: import it again with --tag REPOSITORY[:TAG]`,
    ]);
  });

  it('an OCI layout directory: the same manifest and config as the layout, and it runs', async () => {
    const r = await cli(['image', 'import', layout, '--tag', 'example.test/layout/app:v3', '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = JSON.parse((await cli(['image', 'inspect', 'example.test/layout/app:v3', '--data-dir', s.dataDir], { env: s.env })).stdout);
    expect(doc.config.config).toEqual(CONFIG);
    expect(storeState(s.dataDir).blobs).toContain(configDigest);
    const ran = await run('example.test/layout/app:v3', 'layout');
    expect(ran.stdout).toBe('imported: saved image as app in /home/app\n');
  });

  it('a file that is no image archive: exit 1, one line, nothing stored', async () => {
    const file = path.join(s.dir, 'not-an-image.tar');
    writeFileSync(file, Buffer.alloc(1024));
    const before = storeState(s.dataDir).blobs;
    const r = await cli(['image', 'import', file, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
    expect(r.status).toBe(1);
    expect(errLines(r.stderr)).toEqual([`error: ${file} is neither a docker save tarball (manifest.json) nor an OCI archive (index.json)`]);
    expect(storeState(s.dataDir).blobs).toEqual(before);
  });
});
