import { describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';

describe('ctnr:cwd', () => {
  it.each([
    { service: {}, image: undefined, cwd: '/' },
    { service: {}, image: { WorkingDir: '/app' }, cwd: '/app' },
    { service: { working_dir: '/srv//x/' }, image: { WorkingDir: '/app' }, cwd: '/srv/x' },
  ])('working_dir $service.working_dir / image $image.WorkingDir → $cwd', async ({ service, image, cwd }) => {
    expect((await runServiceYaml(service, image ? { image } : {})).spec.process!.cwd).toBe(cwd);
  });

  it('a relative working_dir is refused', async () => {
    const err = await serviceError({ working_dir: 'app' });
    expect(err.path).toBe('services.svc.working_dir');
    expect(err.message).toMatch(/not an absolute path/);
  });
});

describe('ctnr:terminal and ctnr:oom-score-adj', () => {
  it.each([
    { service: { tty: true }, field: 'terminal', value: true },
    { service: { tty: false }, field: 'terminal', value: false },
    { service: { stdin_open: true }, field: 'terminal', value: false },
    { service: { oom_score_adj: -500 }, field: 'oomScoreAdj', value: -500 },
    { service: {}, field: 'oomScoreAdj', value: undefined },
  ])('$service → process.$field = $value', async ({ service, field, value }) => {
    const p = (await runServiceYaml(service)).spec.process as unknown as Record<string, unknown>;
    expect(p[field]).toBe(value);
  });

  it('oom_score_adj outside -1000..1000 is a schema error', async () => {
    const err = await serviceError({ oom_score_adj: 1001 });
    expect(err.path).toBe('services.svc.oom_score_adj');
  });
});
