import { describe, expect, it } from 'vitest';
import { serviceHash, type ServiceHashParts } from '../../../src/bundle/service-hash.js';

const base: ServiceHashParts = {
  input: {
    name: 'web',
    service: { image: 'nginx', environment: [['A', '1']], deploy: { replicas: 2, resources: { limits: { memory: 1024 } } } } as never,
    project: { name: 'p', volumes: { data: {} } } as never,
  },
  rootfs: { kind: 'store', image: 'nginx' },
  rootless: false,
};
const withService = (change: Record<string, unknown>): ServiceHashParts => ({ ...base, input: { ...base.input, service: { ...base.input.service, ...change } as never } });

describe('serviceHash: what makes up replace a running container', () => {
  const h = serviceHash(base);

  it('is a sha256, and the same for equal inputs whatever their key order', () => {
    expect(h).toMatch(/^sha256:[0-9a-f]{64}$/);
    const reordered = { deploy: (base.input.service as Record<string, unknown>).deploy, environment: [['A', '1']], image: 'nginx' };
    expect(serviceHash({ ...base, input: { ...base.input, service: reordered as never } })).toBe(h);
  });

  it.each<[string, ServiceHashParts]>([
    ['an environment value', withService({ environment: [['A', '2']] })],
    ['the image reference', withService({ image: 'nginx:2' })],
    ['a limit under deploy', withService({ deploy: { replicas: 2, resources: { limits: { memory: 2048 } } } })],
    ['a project-level volume', { ...base, input: { ...base.input, project: { name: 'p', volumes: { data: { name: 'other' } } } as never } }],
    ['the config file', { ...base, configBytes: Buffer.from('{"presets":["restricted"]}') }],
    ['another root filesystem', { ...base, rootfs: { kind: 'directory', path: '/srv/root', origin: '--rootfs' } }],
    ['an image config file', { ...base, imageConfigBytes: Buffer.from('{}') }],
    ['rootless', { ...base, rootless: true }],
    ['run’s command', { ...base, command: ['sh'] }],
  ])('changes with %s', (_what, parts) => {
    expect(serviceHash(parts)).not.toBe(h);
  });

  it.each<[string, ServiceHashParts]>([
    ['the replica count', withService({ deploy: { replicas: 5, resources: { limits: { memory: 1024 } } } })],
    ['scale', withService({ scale: 3 })],
    ['depends_on', withService({ depends_on: { db: { condition: 'service_started' } } })],
    ['the pull policy', withService({ pull_policy: 'always' })],
    ['build', withService({ build: { context: '.' } })],
    ['profiles', withService({ profiles: ['debug'] })],
    ['where the rootfs choice came from (the same directory)', { ...base, rootfs: { kind: 'directory', path: '/r', origin: '--rootfs' } }],
  ])('does not change with %s', (_what, parts) => {
    const same = parts.rootfs.kind === 'directory' ? serviceHash({ ...parts, rootfs: { ...parts.rootfs, origin: 'images["x"]' } }) : h;
    expect(serviceHash(parts)).toBe(same);
  });
});
