import { describe, expect, it } from 'vitest';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { anonymousVolumePath } from '../../../plugins/mounts/volumes.js';
import { imageVolumesPlugin } from '../../../plugins/mounts/image-volumes.js';
import type { Mount, Spec } from '../../../src/spec/types.js';
import { specWith } from '../../helpers/plugin-table-b.js';

const userMounts = (spec: { mounts?: Array<{ destination: string; source?: string }> }) =>
  (spec.mounts ?? []).filter((m) => m.source !== undefined && !['proc', 'tmpfs', 'devpts', 'shm', 'mqueue', 'sysfs', 'cgroup'].includes(m.source) && !m.destination.startsWith('/etc/'));
const anon = (destination: string): Mount => ({ destination, type: 'bind', source: anonymousVolumePath(destination), options: ['rbind', 'rprivate'] });
/** The base spec with the mounts ctnr:volumes / ctnr:tmpfs wrote before ctnr:image-volumes. */
const withMounts = (...mounts: Mount[]) => specWith((s) => s.mounts!.push(...mounts));

describe('ctnr:image-volumes (the image VOLUMEs, docker semantics)', () => {
  it.each([
    {
      what: 'each declared path gets an anonymous volume in the bundle, in sorted order',
      spec: undefined,
      volumes: { '/var/lib/mysql': {}, '/data': {} },
      added: [anon('/data'), anon('/var/lib/mysql')],
    },
    {
      what: 'a mount already on the same path wins (a service volume)',
      spec: withMounts({ destination: '/var/lib/mysql', type: 'bind', source: '/srv/db', options: ['rbind', 'rprivate'] }),
      volumes: { '/var/lib/mysql': {} },
      added: [],
    },
    {
      what: 'a tmpfs on the path wins too, and paths are compared cleaned',
      spec: withMounts({ destination: '/cache', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev'] }),
      volumes: { '/cache/': {}, '/logs': {} },
      added: [anon('/logs')],
    },
    { what: 'an engine mount wins (/dev/shm)', spec: undefined, volumes: { '/dev/shm': {} }, added: [] },
    { what: 'a path given twice (once unclean) is one volume', spec: undefined, volumes: { '/data': {}, '/data/': {} }, added: [anon('/data')] },
    { what: 'no VOLUME, no change', spec: undefined, volumes: {}, added: [] },
  ])('$what', async ({ spec, volumes, added }) => {
    const r = await testPluginYaml(imageVolumesPlugin(), {}, { image: { Volumes: volumes as Record<string, object>, Cmd: ['true'] }, ...(spec ? { spec } : {}) });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual(added.map((value) => ({ op: 'add', path: '/mounts/-', value })));
    expect(r.files).toEqual(added.map((m) => ({ path: m.source, kind: 'directory', mode: 0o755, plugin: 'ctnr:image-volumes' })));
    // a path something else already mounts gets no second mount
    const destinations = r.spec!.mounts!.map((m) => m.destination);
    expect(new Set(destinations).size).toBe(destinations.length);
  });

  it('a spec without mounts gets the list first', async () => {
    const r = await testPluginYaml(imageVolumesPlugin(), {}, { image: { Volumes: { '/data': {} } }, spec: specWith((s) => delete s.mounts) as Spec });
    expect(r.spec!.mounts).toEqual([anon('/data')]);
  });

  it('a relative VOLUME path is left out with a warning', async () => {
    const r = await testPluginYaml(imageVolumesPlugin(), {}, { image: { Volumes: { 'relative/x': {} }, Cmd: ['true'] } });
    expect(r.diagnostics).toMatchObject([{ level: 'warning', plugin: 'ctnr:image-volumes', message: 'the image declares VOLUME "relative/x", which is not an absolute path: left out' }]);
    expect(r.ops).toEqual([]);
  });
});

// What only the pipeline shows: ctnr:image-volumes runs after ctnr:volumes and ctnr:tmpfs and sees their mounts.
describe('pipeline: the service\'s mounts before the image\'s VOLUMEs', () => {
  it.each([
    {
      what: 'a service mount on the same path wins',
      service: { volumes: ['/srv/db:/var/lib/mysql'] },
      volumes: { '/var/lib/mysql': {} } as Record<string, object>,
      expected: [['/var/lib/mysql', '/srv/db']],
    },
    {
      what: 'a tmpfs on the path wins too, and paths are compared cleaned',
      service: { tmpfs: ['/cache'] },
      volumes: { '/cache/': {}, '/logs': {} } as Record<string, object>,
      expected: [['/logs', anonymousVolumePath('/logs')]],
    },
  ])('$what', async ({ service, volumes, expected }) => {
    const result = await runServiceYaml({ ...service }, { image: { Volumes: volumes, Cmd: ['true'] } });
    const got = userMounts(result.spec).map((m) => [m.destination, m.source?.startsWith('/') || m.source?.startsWith('volumes/') ? m.source : undefined]);
    expect(got).toEqual(expected);
    for (const [, src] of expected) {
      if (src?.startsWith('volumes/')) expect(result.files.find((f) => f.path === src)).toMatchObject({ kind: 'directory', plugin: 'ctnr:image-volumes' });
    }
    const destinations = (result.spec.mounts ?? []).map((m) => m.destination);
    expect(new Set(destinations).size).toBe(destinations.length);
  });
});
