import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { hostNamespaces } from '../../helpers/plugin-table-b.js';
import { etcFilesPlugin } from '../../../plugins/network/etc-files.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import type { Spec } from '../../../src/spec/types.js';
import { containerResolvConf, isLoopback, parseResolvConf } from '../../../src/network/resolv.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/network');
const HOST = { hostResolvConf: path.join(FIXTURES, 'host-resolv.conf'), hostHostsFile: path.join(FIXTURES, 'host-hosts') };
const BASE_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

/** ctnr:etc-files alone: the files it declares (path → content) and the /etc binds it adds. */
const run = async (service: Record<string, unknown>, env: Record<string, unknown> = {}, spec?: Spec) => {
  const r = await testPluginYaml(etcFilesPlugin(), service, { env: { ...HOST, ...env }, ...(spec ? { spec } : {}) });
  expect(r.errors).toEqual([]);
  const files = Object.fromEntries(r.files.map((f) => [f.path, f.content]));
  const binds = Object.fromEntries(r.spec!.mounts!.filter((m) => m.destination.startsWith('/etc/')).map((m) => [m.destination, m.source]));
  return { files, binds, spec: r.spec!, ops: r.ops, r };
};
/** The spec ctnr:hostname leaves for `hostname: web`. */
const named = (hostname: string): Spec => ({ ...createBaseSpec(), hostname });
/** What ctnr:namespaces leaves for `network_mode: host`. */
const HOST_NET = hostNamespaces('network');

describe('ctnr:etc-files', () => {
  it('generates the three files and binds them read-only from the bundle', async () => {
    const { files, binds, spec, r } = await run({ extra_hosts: ['db:10.0.0.5', 'db=10.0.0.6'], dns: ['192.0.2.1'], dns_search: ['a.test'], dns_opt: ['ndots:3'] }, {}, named('web'));
    expect(files).toEqual({
      'files/etc/hostname': 'web\n',
      'files/etc/hosts': `${BASE_HOSTS}10.0.0.5\tdb\n10.0.0.6\tdb\n`,
      'files/etc/resolv.conf': 'nameserver 192.0.2.1\nsearch a.test\noptions ndots:3\n',
    });
    expect(r.files.map((f) => [f.mode, f.plugin])).toEqual(Array(3).fill([0o644, 'ctnr:etc-files']));
    expect(binds).toEqual({ '/etc/hostname': 'files/etc/hostname', '/etc/hosts': 'files/etc/hosts', '/etc/resolv.conf': 'files/etc/resolv.conf' });
    for (const m of spec.mounts!.filter((m) => m.destination.startsWith('/etc/'))) {
      expect(m.type).toBe('bind');
      expect(m.options).toEqual(expect.arrayContaining(['rbind', 'ro', 'nosuid', 'nodev', 'noexec']));
    }
  });

  it('appends its binds after every mount already there', async () => {
    const { ops } = await run({}, {}, named('web'));
    expect(ops.map((o) => [o.op, o.path, (o as { value: { destination: string } }).value.destination])).toEqual([
      ['add', '/mounts/-', '/etc/hostname'],
      ['add', '/mounts/-', '/etc/hosts'],
      ['add', '/mounts/-', '/etc/resolv.conf'],
    ]);
  });

  it('no hostname in the spec (uts: host): no /etc/hostname', async () => {
    const { files, binds } = await run({});
    expect(Object.keys(files)).toEqual(['files/etc/hosts', 'files/etc/resolv.conf']);
    expect(binds['/etc/hostname']).toBeUndefined();
  });

  it.each([
    // service, expected resolv.conf (host file: 127.0.0.53, 10.9.8.7, ::1, 2001:db8::53; search corp/lab; options edns0 trust-ad)
    [{}, 'nameserver 10.9.8.7\nnameserver 2001:db8::53\nsearch corp.example lab.example\noptions edns0 trust-ad\n'],
    [{ dns: '1.1.1.1' }, 'nameserver 1.1.1.1\nsearch corp.example lab.example\noptions edns0 trust-ad\n'],
    [{ dns_search: ['.'] }, 'nameserver 10.9.8.7\nnameserver 2001:db8::53\noptions edns0 trust-ad\n'],
    [{ dns_search: 'x.test', dns_opt: ['use-vc'] }, 'nameserver 10.9.8.7\nnameserver 2001:db8::53\nsearch x.test\noptions use-vc\n'],
  ])('resolv.conf for %j follows the documented rule', async (service, expected) => {
    expect((await run(service)).files['files/etc/resolv.conf']).toBe(expected);
  });

  it('falls back to docker\'s public resolvers when the host only has loopback ones', async () => {
    const { files } = await run({}, { hostResolvConf: path.join(FIXTURES, 'loopback-only-resolv.conf') });
    expect(files['files/etc/resolv.conf']).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });

  it('host networking binds the host\'s files and adds no /etc/hostname', async () => {
    const { files, binds } = await run({}, {}, HOST_NET);
    expect(files).toEqual({});
    expect(binds).toEqual({ '/etc/hosts': HOST.hostHostsFile, '/etc/resolv.conf': HOST.hostResolvConf });
  });

  it('host networking with extra_hosts/dns generates copies of the host files with the changes', async () => {
    const { files, binds } = await run({ extra_hosts: ['db:10.0.0.5'], dns_opt: ['ndots:1'] }, {}, HOST_NET);
    expect(files['files/etc/hosts']).toBe('127.0.0.1 localhost\n10.0.0.1 buildhost\n10.0.0.5\tdb\n');
    // the host's loopback resolvers are reachable with host networking, so they stay
    expect(files['files/etc/resolv.conf']).toBe('nameserver 127.0.0.53\nnameserver 10.9.8.7\nnameserver ::1\nnameserver 2001:db8::53\nsearch corp.example lab.example\noptions ndots:1\n');
    expect(binds['/etc/hosts']).toBe('files/etc/hosts');
  });

  it('a mount already on /etc/hosts (a volume of the service) wins', async () => {
    const volume = { destination: '/etc/hosts', type: 'bind', source: FIXTURES + '/host-hosts', options: ['rbind', 'rprivate'] };
    const { files, binds } = await run({}, {}, { ...createBaseSpec(), mounts: [...createBaseSpec().mounts!, volume] });
    expect(files['files/etc/hosts']).toBeUndefined();
    expect(binds['/etc/hosts']).toBe(FIXTURES + '/host-hosts');
    expect(binds['/etc/resolv.conf']).toBe('files/etc/resolv.conf');
  });

  it('host-gateway resolves to env.hostGateway, and is an error without it', async () => {
    expect((await run({ extra_hosts: ['host.docker.internal:host-gateway'] }, { hostGateway: '172.17.0.1' })).files['files/etc/hosts']).toContain('172.17.0.1\thost.docker.internal\n');
    const { errors } = await testPluginYaml(etcFilesPlugin(), { extra_hosts: ['gw:host-gateway'] }, { env: HOST });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:etc-files', path: 'services.svc.extra_hosts[0]', message: expect.stringMatching(/env\.hostGateway/) }]);
  });

  it.each([
    [{ dns: ['8.8.8.8', 'dns.example'] }, 'services.svc.dns[1]', /not an IP address/],
    [{ dns_search: ['bad domain'] }, 'services.svc.dns_search[0]', /not a domain name/],
    [{ dns_opt: ['ndots 2'] }, 'services.svc.dns_opt[0]', /not a resolver option/],
  ])('%j → error at %s', async (service, where, message) => {
    const { errors } = await testPluginYaml(etcFilesPlugin(), service, { env: HOST });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:etc-files', path: where, message: expect.stringMatching(message) }]);
  });
});

// What only the pipeline shows: ctnr:hostname and ctnr:namespaces (same stage, before) and ctnr:volumes (mounts
// stage) decide what ctnr:etc-files reads.
describe('pipeline: ctnr:etc-files after the plugins it reads', () => {
  const pipeline = async (service: Record<string, unknown>) => {
    const r = await runServiceYaml(service, { env: HOST });
    const files = Object.fromEntries(r.files.filter((f) => f.plugin === 'ctnr:etc-files').map((f) => [f.path, f.content]));
    const binds = Object.fromEntries(r.spec.mounts!.filter((m) => m.destination.startsWith('/etc/')).map((m) => [m.destination, m.source]));
    return { files, binds };
  };

  it('hostname: the service\'s name is /etc/hostname', async () => {
    expect((await pipeline({ hostname: 'web' })).files['files/etc/hostname']).toBe('web\n');
  });

  it('network_mode: host binds the host\'s files and adds no /etc/hostname', async () => {
    const { files, binds } = await pipeline({ network_mode: 'host' });
    expect(files).toEqual({});
    expect(binds).toEqual({ '/etc/hosts': HOST.hostHostsFile, '/etc/resolv.conf': HOST.hostResolvConf });
  });

  it('a volume the service mounts on /etc/hosts wins', async () => {
    const { files, binds } = await pipeline({ volumes: [{ type: 'bind', source: FIXTURES + '/host-hosts', target: '/etc/hosts' }] });
    expect(files['files/etc/hosts']).toBeUndefined();
    expect(binds['/etc/hosts']).toBe(FIXTURES + '/host-hosts');
    expect(binds['/etc/resolv.conf']).toBe('files/etc/resolv.conf');
  });
});

describe('resolv.conf helpers', () => {
  it.each([
    ['127.0.0.53', true], ['127.1.2.3', true], ['::1', true], ['0:0:0:0:0:0:0:1', true],
    ['10.0.0.1', false], ['::2', false], ['fe80::1%eth0', false], ['not-an-ip', false],
  ])('isLoopback(%s) = %s', (ip, expected) => expect(isLoopback(ip)).toBe(expected));

  it('parses the lines a resolver uses; the last search/domain line wins', () => {
    expect(parseResolvConf('# c\nnameserver 1.2.3.4 # x\ndomain a.test\nsearch b.test c.test\noptions ndots:2\noptions rotate\nsortlist 1.0.0.0\n')).toEqual({
      nameservers: ['1.2.3.4'], search: ['b.test', 'c.test'], options: ['ndots:2', 'rotate'],
    });
  });

  it('dedupes search domains and options', () => {
    expect(containerResolvConf({ nameservers: [], search: [], options: [] }, ['9.9.9.9'], ['a', 'a', 'b'], ['x', 'x'])).toEqual({ nameservers: ['9.9.9.9'], search: ['a', 'b'], options: ['x'] });
  });
});
