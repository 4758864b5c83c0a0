import { describe, expect, it } from 'vitest';
import { runServiceYaml } from '../../helpers/engine.js';
import { anonymousVolumePath } from '../../../plugins/mounts/volumes.js';

const userMounts = (spec: { mounts?: Array<{ destination: string; source?: string }> }) =>
  (spec.mounts ?? []).filter((m) => m.source !== undefined && !['proc', 'tmpfs', 'devpts', 'shm', 'mqueue', 'sysfs', 'cgroup'].includes(m.source) && !m.destination.startsWith('/etc/'));

describe('ctnr:image-volumes (the image VOLUMEs, docker semantics)', () => {
  it.each([
    {
      what: 'each declared path gets an anonymous volume in the bundle, in sorted order',
      service: {},
      volumes: { '/var/lib/mysql': {}, '/data': {} },
      expected: [['/data', anonymousVolumePath('/data')], ['/var/lib/mysql', anonymousVolumePath('/var/lib/mysql')]],
    },
    {
      what: 'a service mount on the same path wins',
      service: { volumes: ['/srv/db:/var/lib/mysql'] },
      volumes: { '/var/lib/mysql': {} },
      expected: [['/var/lib/mysql', '/srv/db']],
    },
    {
      what: 'a tmpfs on the path wins too, and paths are compared cleaned',
      service: { tmpfs: ['/cache'] },
      volumes: { '/cache/': {}, '/logs': {} },
      expected: [['/logs', anonymousVolumePath('/logs')]],
    },
    { what: 'no VOLUME, no change', service: {}, volumes: {}, expected: [] },
  ])('$what', async ({ service, volumes, expected }) => {
    const result = await runServiceYaml({ ...service }, { image: { Volumes: volumes as Record<string, object>, Cmd: ['true'] } });
    const got = userMounts(result.spec).map((m) => [m.destination, m.source?.startsWith('/') || m.source?.startsWith('volumes/') ? m.source : undefined]);
    expect(got).toEqual(expected);
    for (const [, src] of expected) {
      if (src?.startsWith('volumes/')) expect(result.files.find((f) => f.path === src)).toMatchObject({ kind: 'directory', plugin: 'ctnr:image-volumes' });
    }
    // a path something else already mounts gets no second mount
    const destinations = (result.spec.mounts ?? []).map((m) => m.destination);
    expect(new Set(destinations).size).toBe(destinations.length);
  });

  it('a relative VOLUME path is left out with a warning', async () => {
    const result = await runServiceYaml({}, { image: { Volumes: { 'relative/x': {} }, Cmd: ['true'] } });
    expect(result.diagnostics.map((d) => d.message)).toContain('the image declares VOLUME "relative/x", which is not an absolute path: left out');
  });
});
