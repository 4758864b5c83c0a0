import os from 'node:os';
import { CtnrError } from '../engine/errors.js';
import type { Descriptor, Platform } from './types.js';

/** Node's process.arch → the GOARCH name image indexes use. */
const GOARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
  mips64el: 'mips64le',
};

/** Names people write for an architecture (uname -m, Debian) → GOARCH, with the variant they imply. */
const ARCH_ALIASES: Record<string, string | [string, string]> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  i386: '386',
  i686: '386',
  armhf: ['arm', 'v7'],
  armel: ['arm', 'v6'],
};

/**
 * Variants a machine of this architecture also runs, best first (containers/image platform_matcher): an arm v7
 * host runs v6 and v5 images; arm64 has only v8, which is also what an arm64 image without a variant means.
 */
const COMPATIBLE_VARIANTS: Record<string, readonly string[]> = {
  arm: ['v7', 'v6', 'v5'],
  arm64: ['v8'],
};

export function hostPlatform(): Platform {
  // Node calls little-endian 64-bit POWER 'ppc64'; Go calls it ppc64le.
  const architecture = process.arch === 'ppc64' ? (os.endianness() === 'LE' ? 'ppc64le' : 'ppc64') : (GOARCH[process.arch] ?? process.arch);
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') {
    const armVersion = (process.config.variables as Record<string, unknown>)['arm_version'];
    return { os: 'linux', architecture, variant: `v${typeof armVersion === 'string' && /^\d+$/.test(armVersion) ? armVersion : '7'}` };
  }
  return { os: 'linux', architecture };
}

/** `linux/arm64/v8`, `linux/amd64`, also `linux/x86_64` and `linux/aarch64` (normalised to GOARCH names). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new CtnrError('IMAGE_PLATFORM', `"${text}" is not a platform (expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8)`);
  }
  const [osName, arch, variant] = parts as [string, string, string?];
  const alias = ARCH_ALIASES[arch];
  const [architecture, impliedVariant] = alias === undefined ? [arch, undefined] : typeof alias === 'string' ? [alias, undefined] : alias;
  const platform: Platform = { os: osName, architecture };
  const v = variant ?? impliedVariant;
  if (v !== undefined) platform.variant = v;
  return platform;
}

export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * The index entry to run on `want`: the best variant first (exact, then older compatible variants, then none;
 * without a wanted variant: none first, then the compatible ones), entries in index order within one variant.
 * Entries without a platform are candidates only when no entry has one (then the first is taken).
 * `where` names the index in the error, e.g. `docker.io/library/hello:1`.
 */
export function choosePlatform<D extends Pick<Descriptor, 'platform'>>(manifests: readonly D[], want: Platform, where: string): D {
  const withPlatform = manifests.filter((d) => d.platform !== undefined);
  if (withPlatform.length === 0) {
    const first = manifests[0];
    if (first !== undefined) return first;
    throw new CtnrError('IMAGE_PLATFORM', `${where} has no image for ${platformString(want)} (the index lists no images)`);
  }
  const wantOs = want.os.toLowerCase();
  const wantArch = want.architecture.toLowerCase();
  for (const variant of variantsInOrder(wantArch, want.variant?.toLowerCase())) {
    const hit = withPlatform.find((d) => {
      const p = d.platform!;
      return p.os.toLowerCase() === wantOs && p.architecture.toLowerCase() === wantArch && (p.variant ?? '').toLowerCase() === variant;
    });
    if (hit !== undefined) return hit;
  }
  // Attestation entries (docker buildx) say unknown/unknown; they are not images anyone can run.
  const offered = [...new Set(withPlatform.map((d) => platformString(d.platform!)))].filter((p) => p !== 'unknown/unknown');
  throw new CtnrError('IMAGE_PLATFORM', `${where} has no image for ${platformString(want)} (it has: ${offered.length > 0 ? offered.join(', ') : 'none'})`);
}

/** Whether an image made for `p` runs on `want` (same OS and architecture, a variant `want` runs; missing fields match). */
export function platformFits(p: { os?: string; architecture?: string; variant?: string }, want: Platform): boolean {
  if ((p.os ?? want.os).toLowerCase() !== want.os.toLowerCase()) return false;
  const arch = (p.architecture ?? want.architecture).toLowerCase();
  if (arch !== want.architecture.toLowerCase()) return false;
  return variantsInOrder(arch, want.variant?.toLowerCase()).includes((p.variant ?? '').toLowerCase());
}

/**
 * The platform a service's image is taken for: `--platform`, else the service's `platform:`, else this host (as
 * `arch`, the Env's, names it: a spec generated for another architecture takes that one's images).
 */
export function wantedPlatform(given: string | undefined, servicePlatform: unknown, arch: string): Platform {
  if (given) return parsePlatform(given);
  if (typeof servicePlatform === 'string' && servicePlatform !== '') return parsePlatform(servicePlatform);
  const host = hostPlatform();
  return host.architecture === arch ? host : { os: 'linux', architecture: arch };
}

function variantsInOrder(arch: string, wanted: string | undefined): string[] {
  const compatible = COMPATIBLE_VARIANTS[arch] ?? [];
  if (wanted === undefined || wanted === '') return ['', ...compatible];
  const from = compatible.indexOf(wanted);
  return [...(from >= 0 ? compatible.slice(from) : [wanted]), ''];
}
