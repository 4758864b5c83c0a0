// A tiny image for the cold-start bench: an OCI layout with one (empty) layer and a config with Cmd/Env/User,
// imported into a temporary image store, plus the same config as a file for the --image-config path. The two
// `ctnr spec` variants then differ only in where the image config comes from.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function makeImageFixture(cli) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-bench-image-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const layout = path.join(dir, 'layout');
  mkdirSync(path.join(layout, 'blobs/sha256'), { recursive: true });
  const put = (bytes) => {
    const d = sha(bytes);
    writeFileSync(path.join(layout, 'blobs/sha256', d.slice(7)), bytes);
    return { digest: d, size: bytes.length };
  };
  const layer = Buffer.alloc(1024); // an empty tar: two zero blocks
  const image = {
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh', '-c', 'echo hi'], Env: ['PATH=/usr/bin:/bin', 'MODE=bench'], User: '1000:1000', WorkingDir: '/srv' },
    rootfs: { type: 'layers', diff_ids: [sha(layer)] },
  };
  const configBytes = Buffer.from(JSON.stringify(image));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(configBytes) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...put(layer) }],
    }),
  );
  const m = put(manifest);
  writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'bench/img:1' } }] }),
  );
  writeFileSync(path.join(dir, 'image-config.json'), configBytes);
  writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: bench/img:1\n');
  const dataDir = path.join(dir, 'data');
  const r = spawnSync(process.execPath, [cli, 'image', 'import', '--data-dir', dataDir, layout], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`importing the bench image failed: ${r.stderr}`);
  return { dir, dataDir, imageConfig: path.join(dir, 'image-config.json') };
}
