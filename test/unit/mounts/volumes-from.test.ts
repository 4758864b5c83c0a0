import { describe, expect, it } from 'vitest';
import { parseVolumesFrom, volumesFromPlugin } from '../../../plugins/mounts/volumes-from.js';
import { volumeMounts } from '../../../src/runtime/launch.js';
import type { ContainerFacts } from '../../../src/engine/types.js';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';

describe('volumes_from entries', () => {
  it.each([
    ['db', { kind: 'service', name: 'db' }],
    ['db:ro', { kind: 'service', name: 'db', mode: 'ro' }],
    ['service:db:rw', { kind: 'service', name: 'db', mode: 'rw' }],
    ['container:abc.1', { kind: 'container', name: 'abc.1' }],
    ['container:abc:ro', { kind: 'container', name: 'abc', mode: 'ro' }],
    // A service named like the prefix: the second part is a mode, so the first is the service.
    ['service:ro', { kind: 'service', name: 'service', mode: 'ro' }],
    ['db:rx', /"db:rx" is not a volumes_from entry/],
    ['db:ro:rw', /"db:ro:rw" is not a volumes_from entry/],
    ['container:', /"" is not a container id/],
    ['-db', /"-db" is not a service name/],
  ])('%s → %j', (entry, want) => {
    const got = parseVolumesFrom(entry);
    if (want instanceof RegExp) expect(got).toMatch(want);
    else expect(got).toEqual(want);
  });
});

const DB: ContainerFacts = {
  id: 'p-db',
  mounts: [
    { destination: '/data', type: 'bind', source: '/var/lib/ctnr/volumes/p_data', options: ['rbind', 'rprivate'] },
    { destination: '/conf', type: 'bind', source: '/etc/app', options: ['rbind', 'ro', 'rprivate'] },
  ],
};
const OTHER: ContainerFacts = { id: 'other', mounts: [{ destination: '/cache', type: 'bind', source: '/srv/bundles/other/volumes/anon-cache', options: ['rbind', 'rprivate'] }] };
const env = { containers: { db: DB, 'p-db': DB, other: OTHER } };
const added = (r: { spec?: { mounts?: Array<{ destination: string }> } }, dests: string[]) => r.spec!.mounts!.filter((m) => dests.includes(m.destination));

describe('ctnr:volumes-from', () => {
  it('a service\'s volumes and binds, each keeping its mode', async () => {
    const r = await testPluginYaml(volumesFromPlugin(), { volumes_from: ['db'] }, { env });
    expect(r.errors).toEqual([]);
    expect(added(r, ['/data', '/conf'])).toEqual(DB.mounts);
  });

  it.each([
    ['db:ro', [['rbind', 'rprivate', 'ro'], ['rbind', 'rprivate', 'ro']]],
    ['service:db:rw', [['rbind', 'rprivate'], ['rbind', 'rprivate']]],
  ])('%s forces the mode on every mount', async (entry, options) => {
    const r = await testPluginYaml(volumesFromPlugin(), { volumes_from: [entry] }, { env });
    expect(added(r, ['/data', '/conf']).map((m) => (m as { options?: string[] }).options)).toEqual(options);
  });

  it('container:ID; the first entry naming a destination wins over a later one', async () => {
    const r = await testPluginYaml(volumesFromPlugin(), { volumes_from: ['container:other:ro', 'db:ro', 'db'] }, { env });
    expect(r.errors).toEqual([]);
    expect(added(r, ['/cache'])).toEqual([{ ...OTHER.mounts![0], options: ['rbind', 'rprivate', 'ro'] }]);
    expect(added(r, ['/data'])).toEqual([{ ...DB.mounts![0], options: ['rbind', 'rprivate', 'ro'] }]);
  });

  it.each([
    [['db:x'], env, 'services.svc.volumes_from[0]', /"db:x" is not a volumes_from entry/],
    [['ghost'], env, 'services.svc.volumes_from[0]', /volumes_from "ghost": service ghost: it has no container: ctnr up starts it first/],
    [['db', 'container:db'], { containers: { db: DB } }, 'services.svc.volumes_from[1]', /container db: it is not a container ctnr started \(ctnr ps lists them\)/],
    [['db'], {}, 'services.svc.volumes_from[0]', /known once it runs: ctnr up and ctnr run resolve them \(ctnr spec and bundle cannot\)/],
  ])('%j → located error at %s', async (entries, e, at, message) => {
    const r = await testPluginYaml(volumesFromPlugin(), { volumes_from: entries }, { env: e });
    expect(r.errors).toMatchObject([{ plugin: 'ctnr:volumes-from', path: at, message: expect.stringMatching(message) }]);
    expect(r.errors[0]!.location?.line).toBeGreaterThan(0);
  });
});

describe('pipeline: volumes_from with the service\'s own volumes and the image\'s', () => {
  it('own mounts win, image VOLUMEs already shared stay shared, the trace names ctnr:volumes-from', async () => {
    const r = await runServiceYaml({ volumes_from: ['db'], volumes: ['/tmp:/data'] }, { env, image: { Volumes: { '/conf': {}, '/other': {} } } });
    const at = (d: string) => r.spec.mounts!.filter((m) => m.destination === d);
    expect(at('/data')).toMatchObject([{ source: '/tmp' }]);
    expect(at('/conf')).toEqual([DB.mounts![1]]);
    expect(at('/other')).toMatchObject([{ type: 'bind', source: expect.stringMatching(/^volumes\/anon-other-/) }]);
    const i = r.spec.mounts!.findIndex((m) => m.destination === '/conf');
    expect(r.blame(`/mounts/${i}`).map((t) => t.plugin)).toContain('ctnr:volumes-from');
    // What this container shares in turn: its volume plugins' mounts, sources absolute.
    expect(volumeMounts(r.spec.mounts!, r.trace, '/b').map((m) => `${m.destination}=${m.source}`).sort()).toEqual([
      '/conf=/etc/app',
      '/data=/tmp',
      expect.stringMatching(/^\/other=\/b\/volumes\/anon-other-/),
    ]);
  });
});
