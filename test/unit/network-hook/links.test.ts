import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileContent } from '../../../src/engine/bundle-files.js';
import { networkHookPlugin } from '../../../plugins/hooks/network-hook.js';
import { networkDown, networkUp, type OciState } from '../../../src/network/hook.js';
import type { HostOps } from '../../../src/network/host.js';
import { renderLinksBlock, replaceLinksBlock } from '../../../src/network/hosts.js';
import { parseLink } from '../../../src/network/links.js';
import { networkSchemas, type NetworkSettings } from '../../../src/network/settings.js';
import { readState } from '../../../src/network/state.js';
import { testPluginYaml } from '../../helpers/engine.js';
import { REPO } from '../../helpers/shared.js';

describe('links / external_links entries', () => {
  it.each([
    ['db', 'links', { alias: 'db', service: 'db' }],
    ['db:database', 'links', { alias: 'database', service: 'db' }],
    ['other-x:legacy.name', 'external_links', { alias: 'legacy.name', container: 'other-x' }],
    ['a:b:c', 'links', /is not SERVICE\[:ALIAS\]/],
    ['db:', 'links', /alias "" is not a host name/],
    ['db:bad alias', 'links', /alias "bad alias" is not a host name/],
    ['-db', 'links', /"-db" is not a service name/],
    ['x/y', 'external_links', /"x\/y" is not a container name/],
  ] as const)('%s (%s) → %j', (entry, kind, want) => {
    const got = parseLink(entry, kind);
    if (want instanceof RegExp) expect(got).toMatch(want);
    else expect(got).toEqual(want);
  });
});

const settingsOf = (files: ReadonlyArray<{ path: string; content?: string; json?: unknown }>) => {
  const f = files.find((x) => x.path === 'ctnr/network.json');
  return f ? networkSchemas().settingsSchema.parse(JSON.parse(fileContent(f)!)) : undefined;
};

describe('ctnr:network-hook: links and external_links', () => {
  it('are written to the network settings, links first', async () => {
    const r = await testPluginYaml(networkHookPlugin({ command: ['/usr/bin/ctnr'] }), { links: ['db:database', 'cache'], external_links: ['legacy-db:olddb'] });
    expect(r.errors).toEqual([]);
    expect(settingsOf(r.files)!.links).toEqual([{ alias: 'database', service: 'db' }, { alias: 'cache', service: 'cache' }, { alias: 'olddb', container: 'legacy-db' }]);
  });

  it('no links: no links key', async () => {
    const r = await testPluginYaml(networkHookPlugin({ command: ['/usr/bin/ctnr'] }), {});
    expect(settingsOf(r.files)!.links).toBeUndefined();
  });

  it.each([
    [{ links: ['db', 'a:b:c'] }, {}, 'services.svc.links[1]', /"a:b:c" is not SERVICE\[:ALIAS\]/],
    [{ external_links: ['ghost'] }, { containers: { other: { id: 'other' } } }, 'services.svc.external_links[0]', /container "ghost" is not a container ctnr started \(ctnr ps lists them\)/],
    // A service name is no container id: env.containers lists a project's services by name too.
    [{ external_links: ['db'] }, { containers: { db: { id: 'p-db' } } }, 'services.svc.external_links[0]', /container "db" is not a container ctnr started/],
    [{ links: ['db'], network_mode: 'host' }, {}, 'services.svc.links', /links need the service on a compose network.*network_mode "host"/],
    [{ external_links: ['x'], network_mode: 'none' }, {}, 'services.svc.external_links', /network_mode "none"/],
    [{ links: ['db'] }, { rootless: true, uid: 1000, gid: 1000 }, 'services.svc.links', /rootless containers each get a network of their own/],
  ])('%j (env %j) → located error at %s', async (service, env, at, message) => {
    const r = await testPluginYaml(networkHookPlugin({ command: ['/usr/bin/ctnr'] }), service, { env });
    expect(r.errors).toMatchObject([{ plugin: 'ctnr:network-hook', path: at, message: expect.stringMatching(message) }]);
    expect(r.errors[0]!.location?.line).toBeGreaterThan(0);
  });

  it('an external link to a container ctnr knows is accepted', async () => {
    const r = await testPluginYaml(networkHookPlugin({ command: ['/usr/bin/ctnr'] }), { external_links: ['other:o'] }, { env: { containers: { other: { id: 'other' } } } });
    expect(r.errors).toEqual([]);
  });
});

describe('the links block of a hosts file', () => {
  it('renders one line per address and is replaced in place of the old one', () => {
    const block = renderLinksBlock([{ address: '10.0.0.3', names: ['database'] }, { address: '10.0.0.4', names: ['database', 'database'] }])!;
    expect(block).toBe('# ctnr links: begin\n10.0.0.3\tdatabase\n10.0.0.4\tdatabase\n# ctnr links: end\n');
    const base = '127.0.0.1\tlocalhost\n';
    const once = replaceLinksBlock(base, block);
    expect(once).toBe(base + block);
    expect(replaceLinksBlock(once, renderLinksBlock([{ address: '10.0.0.9', names: ['x'] }]))).toBe(`${base}# ctnr links: begin\n10.0.0.9\tx\n# ctnr links: end\n`);
    expect(replaceLinksBlock(once, renderLinksBlock([]))).toBe(base);
  });
});

// The hook with a fake CNI plugin (test/fixtures/cni/fake-plugin): addresses 10.88.7.2, .3, … in ADD order.
describe('ctnr hook network: links resolved in the linking container\'s hosts file', () => {
  let tmp: string;
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const host: HostOps = { pinNetns: () => undefined, unpinNetns: () => {}, hostSubnets: () => [], deleteLink: () => {}, freePort: async () => 40000 };
  const NO_PID = 2 ** 22 + 12345;

  function setup() {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-links-'));
    const cni = path.join(tmp, 'cni');
    mkdirSync(cni);
    const fake = readFileSync(path.join(REPO, 'test/fixtures/cni/fake-plugin/fake-cni.mjs'), 'utf8');
    for (const p of ['bridge', 'portmap']) {
      writeFileSync(path.join(cni, p), `#!${process.execPath}\n${fake}`);
      chmodSync(path.join(cni, p), 0o755);
    }
    const dataDir = path.join(tmp, 'data');
    const bundle = (id: string, service: string, s: Partial<NetworkSettings> = {}, project = 'p'): OciState & { hosts: string } => {
      const dir = path.join(tmp, 'bundles', id);
      mkdirSync(path.join(dir, 'ctnr'), { recursive: true });
      writeFileSync(path.join(dir, 'hosts'), '127.0.0.1\tlocalhost\n');
      const settings: NetworkSettings = {
        version: 1, mode: 'cni', project, service, dataDir, cniPath: [cni], confDir: path.join(tmp, 'net.d'), subnetPool: '10.88.0.0/16', hostsFile: 'hosts',
        networks: [{ key: 'default', name: 'p_default', interface: 'eth0', aliases: [service], internal: false, external: false, subnet: '10.88.7.0/24' }],
        ports: [],
        ...s,
      };
      writeFileSync(path.join(dir, 'ctnr/network.json'), JSON.stringify(settings));
      return { id, pid: NO_PID, bundle: dir, hosts: path.join(dir, 'hosts') };
    };
    return { dataDir, bundle };
  }
  const linksBlock = (file: string) => /# ctnr links: begin\n([^]*?)# ctnr links: end\n/.exec(readFileSync(file, 'utf8'))?.[1];

  it('a service link resolves to every container of that service; an external link to that container; updates follow them', async () => {
    const t = setup();
    const db1 = t.bundle('p-db-1', 'db');
    const db2 = t.bundle('p-db-2', 'db');
    const other = t.bundle('legacy', 'legacy', {}, 'elsewhere');
    const web = t.bundle('p-web', 'web', { links: [{ alias: 'database', service: 'db' }, { alias: 'old', container: 'legacy' }] });
    await networkUp(db1, { host });
    await networkUp(db2, { host });
    await networkUp(other, { host });
    await networkUp(web, { host });
    expect(linksBlock(web.hosts)).toBe('10.88.7.2\tdatabase\n10.88.7.3\tdatabase\n10.88.7.4\told\n');
    expect(readState(t.dataDir, 'p_default')!.endpoints['p-web']!.links).toEqual([{ alias: 'database', service: 'db' }, { alias: 'old', container: 'legacy' }]);
    // Only the linking container gets the block.
    expect(linksBlock(db1.hosts)).toBeUndefined();
    // A linked container leaving (and coming back with another address) is followed.
    await networkDown({ ...db1, pid: 0 }, { host });
    expect(linksBlock(web.hosts)).toBe('10.88.7.3\tdatabase\n10.88.7.4\told\n');
    await networkUp(db1, { host });
    expect(linksBlock(web.hosts)).toBe('10.88.7.6\tdatabase\n10.88.7.3\tdatabase\n10.88.7.4\told\n');
  });

  it('a link no container on a shared network answers fails the hook, naming it, and leaves the network', async () => {
    const t = setup();
    const web = t.bundle('p-web', 'web', { links: [{ alias: 'database', service: 'db' }] });
    await expect(networkUp(web, { host })).rejects.toThrow(/web: links "db:database": no such container on the networks of p-web \(p_default\)/);
    expect(readState(t.dataDir, 'p_default')).toBeUndefined();
  });
});
