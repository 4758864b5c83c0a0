import { describe, expect, it } from 'vitest';
import { choosePlatform, hostPlatform, parsePlatform, platformString } from '../../../src/image/platform.js';
import type { Descriptor, Platform } from '../../../src/image/types.js';

let n = 0;
function entry(platform?: string, extra: Partial<Descriptor> = {}): Descriptor {
  const d: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${String(++n).padStart(64, '0')}`, size: 1, ...extra };
  if (platform !== undefined) {
    const [os, architecture, variant] = platform.split('/') as [string, string, string?];
    d.platform = variant === undefined ? { os, architecture } : { os, architecture, variant };
  }
  return d;
}
const label = (d: Descriptor) => (d.platform ? platformString(d.platform) : 'none');

describe('choosePlatform', () => {
  // [index entries, wanted, chosen]
  const table: Array<[string[], string, string]> = [
    [['linux/amd64', 'linux/arm64/v8'], 'linux/amd64', 'linux/amd64'],
    [['linux/amd64', 'linux/arm64/v8'], 'linux/arm64/v8', 'linux/arm64/v8'],
    [['linux/amd64', 'linux/arm64/v8'], 'linux/arm64', 'linux/arm64/v8'],
    [['linux/amd64', 'linux/arm64'], 'linux/arm64/v8', 'linux/arm64'],
    // An exact variant beats the variant-less entry, and vice versa.
    [['linux/arm64', 'linux/arm64/v8'], 'linux/arm64/v8', 'linux/arm64/v8'],
    [['linux/arm64/v8', 'linux/arm64'], 'linux/arm64', 'linux/arm64'],
    // arm v7 runs v6 and v5 images, best first; a v6 host does not run v7.
    [['linux/arm/v5', 'linux/arm/v6'], 'linux/arm/v7', 'linux/arm/v6'],
    [['linux/arm/v7', 'linux/arm/v6'], 'linux/arm/v7', 'linux/arm/v7'],
    [['linux/arm', 'linux/arm/v5'], 'linux/arm/v7', 'linux/arm/v5'],
    [['linux/arm/v7', 'linux/arm'], 'linux/arm', 'linux/arm'],
    [['linux/arm/v6', 'linux/arm/v7'], 'linux/arm', 'linux/arm/v7'],
    // os matters; the first of equal entries wins.
    [['windows/amd64', 'linux/amd64'], 'linux/amd64', 'linux/amd64'],
    [['linux/ppc64le', 'linux/s390x', 'linux/s390x'], 'linux/s390x', 'linux/s390x'],
    // Unknown variants still match exactly, or an entry without a variant.
    [['linux/riscv64/rva22', 'linux/riscv64'], 'linux/riscv64/rva22', 'linux/riscv64/rva22'],
    [['linux/riscv64'], 'linux/riscv64/rva22', 'linux/riscv64'],
    // Case-insensitive.
    [['Linux/AMD64'], 'linux/amd64', 'Linux/AMD64'],
  ];
  it.each(table)('%j wanting %s → %s', (entries, want, chosen) => {
    const index = entries.map((p) => entry(p));
    const picked = choosePlatform(index, parsePlatform(want), 'r');
    expect(label(picked)).toBe(chosen);
    expect(picked).toBe(index.find((d) => label(d) === chosen));
  });

  it('ignores entries without a platform when others have one', () => {
    const index = [entry(undefined), entry('linux/arm64/v8')];
    expect(() => choosePlatform(index, { os: 'linux', architecture: 'amd64' }, 'r')).toThrow(/has no image for linux\/amd64/);
  });

  it('takes the first entry when none has a platform', () => {
    const index = [entry(undefined), entry(undefined)];
    expect(choosePlatform(index, { os: 'linux', architecture: 'amd64' }, 'r')).toBe(index[0]);
  });

  it('names the index, the wanted platform and what it has (without attestations)', () => {
    const index = [entry('linux/amd64'), entry('linux/arm/v7'), entry('linux/arm/v7'), entry('unknown/unknown')];
    let err: { code?: string; message?: string } = {};
    try {
      choosePlatform(index, { os: 'linux', architecture: 'arm64' }, 'docker.io/library/hello:1');
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('IMAGE_PLATFORM');
    expect(err.message).toBe('docker.io/library/hello:1 has no image for linux/arm64 (it has: linux/amd64, linux/arm/v7)');
  });

  it('an arm v6 host does not take a v7 image', () => {
    expect(() => choosePlatform([entry('linux/arm/v7')], { os: 'linux', architecture: 'arm', variant: 'v6' }, 'r')).toThrow(/no image for linux\/arm\/v6/);
  });

  it('an empty index is an error', () => {
    expect(() => choosePlatform([], { os: 'linux', architecture: 'amd64' }, 'r')).toThrow(/lists no images/);
  });
});

describe('parsePlatform / platformString', () => {
  const table: Array<[string, Platform]> = [
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['LINUX/ARM/V7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/armhf', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/armel', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/i386', { os: 'linux', architecture: '386' }],
  ];
  it.each(table)('%s', (text, platform) => {
    expect(parsePlatform(text)).toEqual(platform);
  });

  it.each(['', 'linux', 'amd64', 'linux/', '/amd64', 'linux/arm/v7/x', 'linux/am d64'])('%j is an IMAGE_PLATFORM error', (text) => {
    expect(() => parsePlatform(text)).toThrow(expect.objectContaining({ code: 'IMAGE_PLATFORM', message: expect.stringContaining(`"${text}" is not a platform`) }));
  });

  it('prints os/arch[/variant]', () => {
    expect(platformString({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64/v8');
    expect(platformString({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
  });
});

describe('hostPlatform', () => {
  it('is linux with a GOARCH name', () => {
    const p = hostPlatform();
    expect(p.os).toBe('linux');
    const expected: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
    if (expected[process.arch]) expect(p.architecture).toBe(expected[process.arch]);
    if (process.arch === 'arm64') expect(p.variant).toBe('v8');
    if (process.arch === 'x64') expect(p.variant).toBeUndefined();
  });
});
