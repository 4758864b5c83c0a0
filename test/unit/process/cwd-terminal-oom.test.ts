import { describe, expect, it } from 'vitest';
import { testPluginYaml } from '../../helpers/engine.js';
import { loadError } from '../../helpers/plugin-table.js';
import { testPlugin } from '../../../src/plugin-kit/index.js';
import { cwdPlugin } from '../../../plugins/process/cwd.js';
import { oomScoreAdjPlugin } from '../../../plugins/process/oom-score-adj.js';
import { terminalPlugin } from '../../../plugins/process/terminal.js';

describe('ctnr:cwd', () => {
  it.each([
    { service: {}, image: undefined, cwd: '/', ops: [] },
    { service: {}, image: { WorkingDir: '/app' }, cwd: '/app', ops: [{ op: 'replace', path: '/process/cwd', value: '/app' }] },
    { service: { working_dir: '/srv//x/' }, image: { WorkingDir: '/app' }, cwd: '/srv/x', ops: [{ op: 'replace', path: '/process/cwd', value: '/srv/x' }] },
  ])('working_dir $service.working_dir / image $image.WorkingDir → $cwd', async ({ service, image, cwd, ops }) => {
    const r = await testPluginYaml(cwdPlugin(), service, image ? { image } : {});
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual(ops);
    expect(r.spec!.process!.cwd).toBe(cwd);
  });

  it.each([
    { what: 'a relative working_dir is refused', service: { working_dir: 'app' }, image: undefined, path: 'services.svc.working_dir' },
    { what: 'a relative image WorkingDir is refused at the service', service: {}, image: { WorkingDir: 'app' }, path: 'services.svc' },
  ])('$what', async ({ service, image, path }) => {
    const { errors } = await testPluginYaml(cwdPlugin(), service, image ? { image } : {});
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:cwd', path }]);
    expect(errors[0]!.message).toMatch(/not an absolute path/);
  });
});

describe('ctnr:terminal and ctnr:oom-score-adj', () => {
  it.each([
    { plugin: terminalPlugin, service: { tty: true }, field: 'terminal', value: true, ops: [{ op: 'replace', path: '/process/terminal', value: true }] },
    { plugin: terminalPlugin, service: { tty: false }, field: 'terminal', value: false, ops: [] },
    { plugin: terminalPlugin, service: { stdin_open: true }, field: 'terminal', value: false, ops: [] },
    { plugin: oomScoreAdjPlugin, service: { oom_score_adj: -500 }, field: 'oomScoreAdj', value: -500, ops: [{ op: 'add', path: '/process/oomScoreAdj', value: -500 }] },
    { plugin: oomScoreAdjPlugin, service: { oom_score_adj: 0 }, field: 'oomScoreAdj', value: 0, ops: [{ op: 'add', path: '/process/oomScoreAdj', value: 0 }] },
    { plugin: oomScoreAdjPlugin, service: {}, field: 'oomScoreAdj', value: undefined, ops: [] },
  ])('$service → process.$field = $value', async ({ plugin, service, field, value, ops }) => {
    const r = await testPlugin(plugin(), { service });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual(ops);
    expect((r.spec!.process as unknown as Record<string, unknown>)[field]).toBe(value);
  });

});

describe('compose loader (before any plugin runs)', () => {
  it('oom_score_adj outside -1000..1000 is a schema error', () => {
    const err = loadError({ oom_score_adj: 1001 });
    expect(err.path).toBe('services.svc.oom_score_adj');
  });
});
