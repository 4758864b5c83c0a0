import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { VERSION } from '../version.js';
import { CONFIG_FILE, METADATA_FILE } from '../engine/bundle-files.js';

/** `ctnr.json` beside config.json: where a bundle came from. No clock, no random: equal inputs, equal file. */
export interface BundleMetadata {
  /** Format of this file. */
  version: 1;
  ctnrVersion: string;
  service: string;
  project: string;
  /** Absolute path of the compose file. */
  composeFile: string;
  /** Absolute path of the ctnr config file, when one was used. */
  configFile?: string;
  /** `sha256:` over the inputs that decide the bundle (see inputDigest). */
  inputDigest: string;
  rootless: boolean;
  /** Where the root filesystem comes from: a host directory used in place, or an unpacked image layout. */
  rootfs:
    | { kind: 'directory'; path: string }
    | { kind: 'image'; layout: string; manifest: string }
    /** From the image store: the reference pulled and the manifest it resolved to. */
    | { kind: 'store'; reference: string; manifest: string };
  /**
   * The images the service's `type: image` volumes bind (read-only), in volume order: the volume's `source`, the
   * host directory of the image's files, and for a store image its manifest. `ctnr image prune` keeps these.
   */
  imageMounts?: Array<{ source: string; path: string; manifest?: string }>;
  /**
   * The service's configuration as `ctnr up` compares it with what a running container was made from (compose's
   * config hash; see src/bundle/service-hash.ts). A store image's content is compared by `rootfs.manifest`.
   */
  serviceHash?: string;
  /** compose `stop_grace_period` in nanoseconds, when set (`ctnr run` waits this long before SIGKILL). */
  stopGracePeriodNs?: number;
}

export interface DigestInputs {
  composeBytes: Buffer | string;
  service: string;
  /** Bytes of the ctnr config file, when there is one. */
  configBytes?: Buffer | string;
  /** Everything else the command line decided (rootless, rootfs, image); serialised with sorted keys. */
  options?: Record<string, unknown>;
}

/** JSON with object keys sorted (undefined members left out): equal values, equal text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * sha256 of the compose file bytes, the service name, the config file bytes and the command-line choices,
 * each part length-prefixed so no two different inputs can concatenate to the same stream.
 */
export function inputDigest(inputs: DigestInputs): string {
  const h = createHash('sha256');
  const part = (label: string, data: Buffer | string) => {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    h.update(`${label}:${buf.length}:`);
    h.update(buf);
    h.update('\n');
  };
  part('compose', inputs.composeBytes);
  part('service', inputs.service);
  part('config', inputs.configBytes ?? '');
  part('options', canonical(inputs.options ?? {}));
  return `sha256:${h.digest('hex')}`;
}

export function readMetadata(bundleDir: string): BundleMetadata | undefined {
  try {
    return JSON.parse(readFileSync(path.join(bundleDir, METADATA_FILE), 'utf8')) as BundleMetadata;
  } catch {
    return undefined;
  }
}

export function readBundleSpec(bundleDir: string): any {
  return JSON.parse(readFileSync(path.join(bundleDir, CONFIG_FILE), 'utf8'));
}

export function newMetadata(fields: Omit<BundleMetadata, 'version' | 'ctnrVersion'>): BundleMetadata {
  return { version: 1, ctnrVersion: VERSION, ...fields };
}
