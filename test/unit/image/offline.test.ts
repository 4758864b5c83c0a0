import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openProject, runService } from '../../../src/project.js';
import { closedPort } from '../../helpers/registry.js';
import { expectValidSpec } from '../../helpers/schema.js';

// A registry that refuses connections: a loopback port nothing listens on (loopback means plain HTTP).
const PORT = await closedPort();
const IMAGE = `127.0.0.1:${PORT}/team/app:1`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-offline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

async function generate(service: string, opts: { pull?: string; config?: object } = {}) {
  const dir = path.join(tmp, `p${++n}`);
  const file = path.join(dir, 'compose.yaml');
  await import('node:fs').then((fs) => fs.mkdirSync(dir));
  writeFileSync(file, `services:\n  web:\n${service}`);
  if (opts.config) writeFileSync(path.join(dir, 'ctnr.config.json'), JSON.stringify(opts.config));
  const project = await openProject({ file, env: { rootless: false, dataDir: path.join(dir, 'data') }, ...(opts.pull ? { pull: opts.pull } : {}) });
  return runService(project, 'web');
}

describe('spec while the registry cannot be reached', () => {
  it('goes on without the image config, with a warning naming the registry failure, when the service says what to run', async () => {
    const run = await generate(`    image: ${IMAGE}\n    command: ["true"]\n`);
    expect(run.result.spec.process?.args).toEqual(['true']);
    expectValidSpec(run.result.spec);
    const warning = run.diagnostics.find((d) => d.code === 'IMAGE_UNAVAILABLE');
    expect(warning?.level).toBe('warning');
    expect(warning?.message).toMatch(/connection refused by 127\.0\.0\.1:\d+.*generated without the image's config/);
  });

  it.each([
    ['no command: the image config is needed', `    image: ${IMAGE}\n`, {}],
    ['a pull_policy was asked for', `    image: ${IMAGE}\n    command: ["true"]\n    pull_policy: always\n`, {}],
    ['--pull always', `    image: ${IMAGE}\n    command: ["true"]\n`, { pull: 'always' }],
    ['pullPolicy in the config', `    image: ${IMAGE}\n    command: ["true"]\n`, { config: { pullPolicy: 'missing' } }],
  ])('fails with the registry error when %s', async (_why, service, opts) => {
    await expect(generate(service, opts)).rejects.toMatchObject({ code: 'REGISTRY_FAILED', path: 'services.web.image', message: expect.stringMatching(/connection refused/) });
  });

  it('--pull never with nothing stored is an error that says how to get the image', async () => {
    await expect(generate(`    image: ${IMAGE}\n    command: ["true"]\n`, { pull: 'never' })).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      message: expect.stringMatching(/image 127\.0\.0\.1:\d+\/team\/app:1 is needed but it is not in the store and the pull policy is "never" \(run: ctnr pull/),
    });
  });

  it('an invalid reference is located at the image key', async () => {
    await expect(generate('    image: "UPPER/Case"\n    command: ["true"]\n')).rejects.toMatchObject({ code: 'IMAGE_REFERENCE', path: 'services.web.image' });
  });
});
