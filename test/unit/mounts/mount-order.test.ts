import { describe, expect, it } from 'vitest';
import { runServiceYaml } from '../../helpers/engine.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';

describe('ctnr:mount-order', () => {
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
