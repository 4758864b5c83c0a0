import { createHash, type Hash } from 'node:crypto';
import { CtnrError } from '../engine/errors.js';

/** Digests come from registries and archives: untrusted text that ends up in file names, so it is checked strictly. */
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(text: unknown): text is string {
  return typeof text === 'string' && DIGEST.test(text);
}

export function parseDigest(text: unknown, what = 'digest'): { algorithm: 'sha256' | 'sha512'; hex: string } {
  if (!isDigest(text)) throw new CtnrError('IMAGE_INVALID', `${what} ${JSON.stringify(String(text)).slice(0, 80)} is not a sha256 or sha512 digest`);
  const [algorithm, hex] = text.split(':') as ['sha256' | 'sha512', string];
  return { algorithm, hex };
}

export function hasherFor(digest: string): Hash {
  return createHash(parseDigest(digest).algorithm);
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The digest of `bytes` computed with `expected`'s algorithm matches it. */
export function matchesDigest(bytes: Buffer, expected: string): boolean {
  const { algorithm, hex } = parseDigest(expected);
  return createHash(algorithm).update(bytes).digest('hex') === hex;
}

/**
 * Chain IDs (image-spec config.md): ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
 * They name an unpacked stack of layers independently of how the layers were compressed.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) out.push(out.length === 0 ? diffId : sha256(`${out[out.length - 1]} ${diffId}`));
  return out;
}
