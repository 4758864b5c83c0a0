import { describe, expect, it } from 'vitest';
import { ociVersionFor } from '../../../src/runtime/select.js';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';

const crun = { name: 'crun', path: '/usr/bin/crun' };
const runc = { name: 'runc', path: '/usr/bin/runc' };

describe('ociVersionFor (the version a runtime accepts)', () => {
  it.each([
    { what: 'runc keeps ours (it accepts newer than its features say)', runtime: runc, features: '{"ociVersionMax":"1.0.2-dev"}', expected: undefined },
    { what: 'crun without `features` (1.8) gets 1.1.0', runtime: crun, features: undefined, expected: '1.1.0' },
    { what: 'crun whose ociVersionMax is older gets that', runtime: crun, features: '{"ociVersionMin":"1.0.0","ociVersionMax":"1.1.0+dev"}', expected: '1.1.0+dev' },
    { what: 'crun that knows 1.2.0 or newer keeps ours', runtime: crun, features: '{"ociVersionMax":"1.3.0"}', expected: undefined },
  ])('$what', ({ runtime, features, expected }) => {
    expect(ociVersionFor(runtime, '1.2.0', (args) => (args[0] === 'features' ? features : undefined))).toBe(expected);
  });
});

describe('ctnr:oci-version', () => {
  it('writes env.ociVersion, first, so later plugins see it', async () => {
    const result = await runServiceYaml({}, { env: { ociVersion: '1.1.0' } });
    expect(result.spec.ociVersion).toBe('1.1.0');
    expect(result.trace[0]).toMatchObject({ plugin: 'ctnr:oci-version', pointer: '/ociVersion', overrode: 'ctnr:base' });
  });

  it('leaves the base version alone without env.ociVersion', async () => {
    expect((await runServiceYaml({})).spec.ociVersion).toBe('1.2.0');
  });

  it('refuses a value that is not a runtime-spec version', async () => {
    const err = await serviceError({}, { env: { ociVersion: 'latest' } });
    expect(err.message).toMatch(/must be a 1\.x\.y runtime-spec version/);
  });
});
