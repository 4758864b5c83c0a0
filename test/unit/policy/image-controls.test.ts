import { describe, expect, it } from 'vitest';
import { imagesPreset, type ImagesPresetOptions } from '../../../presets/images.js';
import { ctnrFailure } from '../../helpers/errors.js';
import { runPolicy } from './helpers.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** The image controls' findings for one service, every control in audit (so all of them are reported). */
async function findings(service: Record<string, unknown>, options: ImagesPresetOptions = {}) {
  const { policy } = await runPolicy(service, { presets: [imagesPreset({ mode: 'audit', ...options })] });
  return policy.violations.map((v) => `${v.control}: ${v.message}`);
}

const ALLOWED = { allowedImages: ['registry.internal/*', 'docker.io/library/*'] };

describe('image provenance controls', () => {
  it.each([
    { image: 'registry.internal/team/app:1.4', options: ALLOWED, found: [] },
    { image: 'nginx:1.27', options: ALLOWED, found: [] },
    {
      image: 'ghcr.io/acme/app:2',
      options: ALLOWED,
      found: ['imageRegistries: image ghcr.io/acme/app:2 (ghcr.io/acme/app) is not from an allowed place (allowedImages: registry.internal/*, docker.io/library/*)'],
    },
    // A longer host that starts with an allowed one is another registry.
    {
      image: 'registry.internal.evil.example/app:1',
      options: ALLOWED,
      found: ['imageRegistries: image registry.internal.evil.example/app:1 (registry.internal.evil.example/app) is not from an allowed place (allowedImages: registry.internal/*, docker.io/library/*)'],
    },
    // Docker Hub's short names are judged by what they stand for.
    { image: 'acme/app:1', options: ALLOWED, found: ['imageRegistries: image acme/app:1 (docker.io/acme/app) is not from an allowed place (allowedImages: registry.internal/*, docker.io/library/*)'] },
    { image: 'nginx', options: {}, found: ['imageTag: image nginx names no tag (so latest): name a version, or pin a digest'] },
    { image: 'nginx:latest', options: {}, found: ['imageTag: image nginx:latest names the tag latest: name a version, or pin a digest'] },
    { image: `nginx@${DIGEST}`, options: {}, found: [] },
    { image: 'nginx:1.27', options: { requireDigest: true }, found: ['imageDigest: image nginx:1.27 is not pinned by digest (name@sha256:…)'] },
    { image: `nginx:1.27@${DIGEST}`, options: { requireDigest: true }, found: [] },
    {
      image: 'ghcr.io/acme/app',
      options: { ...ALLOWED, requireDigest: true },
      found: [
        'imageRegistries: image ghcr.io/acme/app (ghcr.io/acme/app) is not from an allowed place (allowedImages: registry.internal/*, docker.io/library/*)',
        'imageTag: image ghcr.io/acme/app names no tag (so latest): name a version, or pin a digest',
        'imageDigest: image ghcr.io/acme/app is not pinned by digest (name@sha256:…)',
      ],
    },
  ])('$image with $options', async ({ image, options, found }) => {
    expect(await findings({ image }, options)).toEqual(found);
  });

  it('a service built here (build:) and one without an image are not judged', async () => {
    expect(await findings({ image: 'ghcr.io/acme/app', build: { context: '.' } }, { ...ALLOWED, requireDigest: true })).toEqual([]);
    expect(await findings({ image: undefined }, { ...ALLOWED, requireDigest: true })).toEqual([]);
  });

  it('enforce (the default) fails the service; an exemption by image glob lets it through, marked', async () => {
    const enforced = await runPolicy({ image: 'ghcr.io/acme/app:2' }, { presets: [imagesPreset(ALLOWED)] });
    expect(enforced.error?.message).toBe('service "svc" violates 1 enforced control (imageRegistries)');
    const exempt = await runPolicy({ image: 'ghcr.io/acme/app:2' }, { presets: [imagesPreset({ ...ALLOWED, exemptions: [{ image: 'ghcr.io/acme/*', control: 'imageRegistries', reason: 'vendor image (OPS-12)' }] })] });
    expect(exempt.error).toBeUndefined();
    expect(exempt.policy.violations).toEqual([expect.objectContaining({ control: 'imageRegistries', validator: 'ctnr:policy-images', exemption: { reason: 'vendor image (OPS-12)', from: 'ctnr:policy-images' } })]);
  });

  it.each([
    [{ allowedImages: ['ghcr.io'] }, 'options.allowedImages[0]: is not registry/repository (a glob: registry.internal/*, docker.io/library/*)'],
    [{ controls: { imageTags: 'off' } }, 'options.controls.imageTags: unknown control "imageTags" (did you mean "imageTag"?)'],
  ] as const)('bad options are refused, naming the preset: %j', async (options, message) => {
    const err = await ctnrFailure(async () => imagesPreset(options as ImagesPresetOptions));
    expect(err.code).toBe('PLUGIN_OPTIONS');
    expect(err.message).toContain(message);
  });
});
