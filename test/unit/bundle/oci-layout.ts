import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Test helper: write an OCI image layout (image-spec: oci-layout, index.json, blobs/sha256/…) whose layers
 * are tarballs of the given directories, bottom first. `gzip` compresses the layers.
 */
export interface LayoutImageSpec {
  /** org.opencontainers.image.ref.name of the manifest in index.json. */
  ref?: string;
  layers: string[];
  config?: Record<string, unknown>;
  gzip?: boolean;
  /** The config's architecture, and with it the index entry's platform (linux/ARCH[/VARIANT]). */
  arch?: string;
  variant?: string;
}

function putBlob(layout: string, data: Buffer): { digest: string; size: number } {
  const hex = createHash('sha256').update(data).digest('hex');
  writeFileSync(path.join(layout, 'blobs', 'sha256', hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

export function writeOciLayout(layout: string, images: LayoutImageSpec[]): void {
  rmSync(layout, { recursive: true, force: true });
  mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const manifests = images.map((img) => {
    const diffIds: string[] = [];
    const layers = img.layers.map((dir, i) => {
      const tarFile = path.join(layout, `layer-${i}.tar`);
      // --numeric-owner and sorted names: the same tree gives the same bytes.
      execFileSync('tar', ['--sort=name', '--numeric-owner', '-cf', tarFile, '-C', dir, '.']);
      const raw = readFileSync(tarFile);
      rmSync(tarFile);
      diffIds.push(`sha256:${createHash('sha256').update(raw).digest('hex')}`);
      const data = img.gzip ? execFileSync('gzip', ['-n', '-c'], { input: raw, maxBuffer: 1 << 28 }) : raw;
      return { mediaType: `application/vnd.oci.image.layer.v1.tar${img.gzip ? '+gzip' : ''}`, ...putBlob(layout, data) };
    });
    const config = putBlob(
      layout,
      Buffer.from(JSON.stringify({ architecture: img.arch ?? 'amd64', ...(img.variant ? { variant: img.variant } : {}), os: 'linux', config: img.config ?? {}, rootfs: { type: 'layers', diff_ids: diffIds } })),
    );
    const manifest = putBlob(
      layout,
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers })),
    );
    return {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      ...(img.ref ? { annotations: { 'org.opencontainers.image.ref.name': img.ref } } : {}),
      ...(img.arch ? { platform: { os: 'linux', architecture: img.arch, ...(img.variant ? { variant: img.variant } : {}) } } : {}),
    };
  });
  writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}
