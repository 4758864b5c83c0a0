import { describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS } from '../../../presets/engines/docker.js';

const without = (list: readonly string[], ...drop: string[]) => list.filter((p) => !drop.includes(p));

describe('ctnr:masked-paths', () => {
  it.each([
    { what: 'docker defaults', opts: [], masked: [...DOCKER_MASKED_PATHS], readonly: [...DOCKER_READONLY_PATHS] },
    { what: 'systempaths=unconfined clears both', opts: ['systempaths=unconfined'], masked: undefined, readonly: undefined },
    { what: 'legacy colon form', opts: ['systempaths:unconfined'], masked: undefined, readonly: undefined },
    { what: 'unmask=ALL clears both lists', opts: ['unmask=ALL'], masked: [], readonly: [] },
    { what: 'unmask with a glob and a path', opts: ['unmask=/proc/k*:/proc/sys'], masked: without(DOCKER_MASKED_PATHS, '/proc/kcore', '/proc/keys'), readonly: without(DOCKER_READONLY_PATHS, '/proc/sys') },
    { what: 'mask adds paths', opts: ['mask=/proc/cpuinfo:/sys/kernel'], masked: [...DOCKER_MASKED_PATHS, '/proc/cpuinfo', '/sys/kernel'], readonly: [...DOCKER_READONLY_PATHS] },
  ])('$what', async ({ opts, masked, readonly }) => {
    const { spec } = await runServiceYaml({ security_opt: opts });
    expect(spec.linux!.maskedPaths).toEqual(masked);
    expect(spec.linux!.readonlyPaths).toEqual(readonly);
  });

  it.each([
    { opt: 'systempaths=confined', msg: 'systempaths takes only "unconfined"' },
    { opt: 'mask=proc/kcore', msg: 'not an absolute path' },
    { opt: 'unmask=', msg: 'colon-separated list' },
  ])('refuses $opt', async ({ opt, msg }) => {
    const err = await serviceError({ security_opt: ['no-new-privileges', opt] });
    expect(err.path).toBe('services.svc.security_opt[1]');
    expect(err.message).toContain(msg);
  });
});
