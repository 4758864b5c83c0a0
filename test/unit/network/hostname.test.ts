import { describe, expect, it } from 'vitest';
import { testPlugin } from '../../../src/plugin-kit/index.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import type { Spec } from '../../../src/spec/types.js';
import { hostnamePlugin } from '../../../plugins/network/hostname.js';
import { runServiceYaml } from '../../helpers/engine.js';

/** The base spec without the namespace of `type`: what ctnr:namespaces leaves for `network_mode: host` / `uts: host`. */
const hostNs = (type: string): Spec => {
  const spec = createBaseSpec();
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== type);
  return spec;
};
const joinedUts = (): Spec => {
  const spec = createBaseSpec();
  spec.linux!.namespaces = spec.linux!.namespaces!.map((n) => (n.type === 'uts' ? { type: 'uts', path: '/proc/10/ns/uts' } : n));
  return spec;
};
const named = { ...createBaseSpec(), hostname: 'old', domainname: 'old.test' };

describe('ctnr:hostname', () => {
  it.each([
    { what: 'the service name by default', service: {}, hostname: 'svc', domainname: undefined },
    { what: 'hostname', service: { hostname: 'web-1' }, hostname: 'web-1', domainname: undefined },
    { what: 'both', service: { hostname: 'web', domainname: 'example.test' }, hostname: 'web', domainname: 'example.test' },
    { what: 'an empty domainname', service: { domainname: '' }, hostname: 'svc', domainname: undefined },
    { what: 'host network: the container shows the host\'s name', spec: hostNs('network'), service: {}, hostname: undefined, domainname: undefined },
    { what: 'host network, hostname given', spec: hostNs('network'), service: { hostname: 'pinned' }, hostname: 'pinned', domainname: undefined },
    { what: 'uts: host', spec: hostNs('uts'), service: {}, hostname: undefined, domainname: undefined },
    { what: 'uts: host removes names set before', spec: { ...named, linux: hostNs('uts').linux }, service: {}, hostname: undefined, domainname: undefined },
  ])('$what: $service → hostname $hostname, domainname $domainname', async ({ service, spec, hostname, domainname }) => {
    const r = await testPlugin(hostnamePlugin(), { service, ...(spec ? { spec } : {}) });
    expect(r.errors).toEqual([]);
    expect(r.spec!.hostname).toBe(hostname);
    expect(r.spec!.domainname).toBe(domainname);
  });

  it('writes with ops the trace shows', async () => {
    expect((await testPlugin(hostnamePlugin(), { service: { hostname: 'web' }, name: 'x' })).ops).toEqual([{ op: 'add', path: '/hostname', value: 'web' }]);
  });

  it.each([
    { service: { hostname: 'x' }, spec: hostNs('uts'), path: 'services.svc.hostname', message: /cannot be set with uts: host/ },
    { service: { domainname: 'x.test' }, spec: hostNs('uts'), path: 'services.svc.domainname', message: /cannot be set with uts: host/ },
    { service: { hostname: 'x' }, spec: joinedUts(), path: 'services.svc.hostname', message: /cannot be set with a joined UTS namespace/ },
    { service: { hostname: 'a'.repeat(65) }, path: 'services.svc.hostname', message: /longer than 64/ },
    { service: { hostname: 'bad name' }, path: 'services.svc.hostname', message: /is not a host name/ },
    { service: { domainname: '-x' }, path: 'services.svc.domainname', message: /is not a host name/ },
  ])('$service → error at $path', async ({ service, spec, path, message }) => {
    const { errors } = await testPlugin(hostnamePlugin(), { service, ...(spec ? { spec } : {}) });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:hostname', path, message: expect.stringMatching(message) }]);
  });

  // What only the pipeline shows: ctnr:namespaces decides the namespaces before ctnr:hostname reads them.
  it.each([
    [{ network_mode: 'host' }, undefined],
    [{ network_mode: 'host', hostname: 'pinned' }, 'pinned'],
    [{ uts: 'host' }, undefined],
  ])('through the default preset: %j → hostname %s', async (service, hostname) => {
    expect((await runServiceYaml(service)).spec.hostname).toBe(hostname);
  });
});
