import { describe, expect, it } from 'vitest';
import { testPluginYaml } from '../../helpers/engine.js';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS } from '../../../presets/engines/docker.js';
import { maskedPathsPlugin } from '../../../plugins/mounts/masked-paths.js';

const without = (list: readonly string[], ...drop: string[]) => list.filter((p) => !drop.includes(p));

describe('ctnr:masked-paths', () => {
  it.each([
    { what: 'docker defaults (the base spec\'s lists, left as they are)', opts: [], masked: [...DOCKER_MASKED_PATHS], readonly: [...DOCKER_READONLY_PATHS] },
    { what: 'systempaths=unconfined clears both', opts: ['systempaths=unconfined'], masked: undefined, readonly: undefined },
    { what: 'legacy colon form', opts: ['systempaths:unconfined'], masked: undefined, readonly: undefined },
    { what: 'unmask=ALL clears both lists', opts: ['unmask=ALL'], masked: [], readonly: [] },
    { what: 'unmask with a glob and a path', opts: ['unmask=/proc/k*:/proc/sys'], masked: without(DOCKER_MASKED_PATHS, '/proc/kcore', '/proc/keys'), readonly: without(DOCKER_READONLY_PATHS, '/proc/sys') },
    { what: 'mask adds paths', opts: ['mask=/proc/cpuinfo:/sys/kernel'], masked: [...DOCKER_MASKED_PATHS, '/proc/cpuinfo', '/sys/kernel'], readonly: [...DOCKER_READONLY_PATHS] },
  ])('$what', async ({ opts, masked, readonly }) => {
    const { spec, errors } = await testPluginYaml(maskedPathsPlugin(), { security_opt: opts });
    expect(errors).toEqual([]);
    expect(spec!.linux!.maskedPaths).toEqual(masked);
    expect(spec!.linux!.readonlyPaths).toEqual(readonly);
  });

  it.each([
    { what: 'nothing asked: no op', opts: ['no-new-privileges'], ops: [] },
    { what: 'unconfined removes both lists', opts: ['systempaths=unconfined'], ops: [{ op: 'remove', path: '/linux/maskedPaths' }, { op: 'remove', path: '/linux/readonlyPaths' }] },
    { what: 'mask touches only the masked list', opts: ['mask=/proc/cpuinfo'], ops: [{ op: 'replace', path: '/linux/maskedPaths', value: [...DOCKER_MASKED_PATHS, '/proc/cpuinfo'] }] },
  ])('ops: $what', async ({ opts, ops }) => {
    expect((await testPluginYaml(maskedPathsPlugin(), { security_opt: opts })).ops).toEqual(ops);
  });

  it.each([
    { opt: 'systempaths=confined', msg: 'systempaths takes only "unconfined"' },
    { opt: 'mask=proc/kcore', msg: 'not an absolute path' },
    { opt: 'unmask=', msg: 'colon-separated list' },
  ])('refuses $opt', async ({ opt, msg }) => {
    const { errors } = await testPluginYaml(maskedPathsPlugin(), { security_opt: ['no-new-privileges', opt] });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:masked-paths', path: 'services.svc.security_opt[1]' }]);
    expect(errors[0]!.message).toContain(msg);
  });
});
