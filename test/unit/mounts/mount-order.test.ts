import { describe, expect, it } from 'vitest';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { mountOrderPlugin } from '../../../plugins/mounts/mount-order.js';
import type { Mount } from '../../../src/spec/types.js';
import { specWith } from '../../helpers/plugin-table-b.js';

const tmpfs = (destination: string): Mount => ({ destination, type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev'] });
/** The base spec with these mounts appended, as the mount plugins before ctnr:mount-order leave it. */
const withMounts = (...dests: string[]) => specWith((s) => s.mounts!.push(...dests.map(tmpfs)));
const BASE = createBaseSpec().mounts!.map((m) => m.destination);
/** The base mounts and /data, /data/cache sorted by depth (stable). */
const SORTED = ['/proc', '/dev', '/sys', '/data', '/dev/pts', '/dev/shm', '/dev/mqueue', '/data/cache'];

describe('ctnr:mount-order', () => {
  it.each([
    { what: 'the base spec', mounts: [], order: BASE },
    { what: 'parents already first', mounts: ['/data', '/data/cache'], order: [...BASE, '/data', '/data/cache'] },
    { what: 'siblings and look-alikes (/data-x is not under /data)', mounts: ['/data-x/a', '/data', '/srv'], order: [...BASE, '/data-x/a', '/data', '/srv'] },
    { what: 'a child listed before its parent: a stable sort by depth', mounts: ['/data/cache', '/data'], order: SORTED },
    { what: 'a child of an engine mount listed before it', mounts: ['/dev/shm/x', '/run/a/b', '/run'], order: ['/proc', '/dev', '/sys', '/run', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/shm/x', '/run/a/b'] },
  ])('$what', async ({ mounts, order }) => {
    const { spec, errors } = await testPluginYaml(mountOrderPlugin(), {}, { spec: withMounts(...mounts) });
    expect(errors).toEqual([]);
    expect(spec!.mounts!.map((m) => m.destination)).toEqual(order);
  });

  it.each([
    { what: 'leaves an ordered spec untouched (no op, no trace entry)', mounts: ['/data', '/data/cache'], ops: [] },
    {
      what: 'otherwise one replace of the whole list, the same mount objects in the new order',
      mounts: ['/data/cache', '/data'],
      ops: [{ op: 'replace', path: '/mounts', value: SORTED.map((d) => withMounts('/data/cache', '/data').mounts!.find((m) => m.destination === d)) }],
    },
  ])('$what', async ({ mounts, ops }) => {
    expect((await testPluginYaml(mountOrderPlugin(), {}, { spec: withMounts(...mounts) })).ops).toEqual(ops);
  });
});

// What only the pipeline shows: ctnr:mount-order runs last in the mounts stage and sorts what the others added.
describe('pipeline: ctnr:mount-order after the user-mount plugins', () => {
  it('leaves a spec whose parents already come first untouched', async () => {
    const result = await runServiceYaml({ tmpfs: ['/data', '/data/cache'] });
    expect(result.trace.some((t) => t.plugin === 'ctnr:mount-order')).toBe(false);
    const dests = result.spec.mounts!.map((m) => m.destination);
    expect(dests.slice(0, createBaseSpec().mounts!.length)).toEqual(createBaseSpec().mounts!.map((m) => m.destination));
    expect(dests.indexOf('/data')).toBe(dests.indexOf('/data/cache') - 1);
  });

  it('moves a mount after its parent when the user listed the child first', async () => {
    const result = await runServiceYaml({ tmpfs: ['/data/cache'], volumes: [{ type: 'tmpfs', target: '/data' }] });
    const dests = result.spec.mounts!.map((m) => m.destination);
    expect(dests.indexOf('/data')).toBeLessThan(dests.indexOf('/data/cache'));
    for (const [i, d] of dests.entries()) {
      for (const later of dests.slice(i + 1)) expect(d.startsWith(later + '/'), `${d} before ${later}`).toBe(false);
    }
  });
});
