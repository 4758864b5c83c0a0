import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, registryAvailable, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { busyboxLayer, cli, requireBuild, scratch, type Scratch } from './images-helpers.js';

/**
 * The `images` preset before a pull: a service whose image the policy refuses fails before its registry is
 * contacted (an image on a port nothing listens on gives the policy's error, not "connection refused"), and
 * nothing enters the store; an allowed image is pulled and runs under runc. The config is README-style
 * (`ctnr.config.ts`, `import … from 'ctnr'`).
 */
const ready = registryAvailable('images policy e2e tests');

describe.skipIf(!ready)('the images preset refuses an image before pulling it', () => {
  let s: Scratch;
  let reg: TestRegistry;
  let dead: string;
  let project: string;
  const ctnr = (...args: string[]) => cli([...args, '--data-dir', s.dataDir], { cwd: project, env: s.env });

  function config(allowed: string[], exemptions: object[] = []): void {
    writeFileSync(
      path.join(project, 'ctnr.config.ts'),
      `import { defineConfig, imagesPreset } from 'ctnr';
export default defineConfig({
  presets: ['default', imagesPreset({ allowedImages: ${JSON.stringify(allowed)} })],
  policy: { exemptions: ${JSON.stringify(exemptions)} },
});
`,
    );
  }

  beforeAll(async () => {
    requireBuild();
    s = scratch('ctnr-images-policy-');
    reg = await startRegistry();
    await reg.pushImage('team/app', 'v1', { layers: [busyboxLayer()] });
    dead = `127.0.0.1:${await closedPort()}`;
    project = path.join(s.dir, 'p');
    mkdirSync(project, { recursive: true });
    writeFileSync(
      path.join(project, 'compose.yaml'),
      ['services:', `  web: { image: "${reg.host}/team/app:v1", network_mode: none, command: ["sh", "-c", "echo ran as $$(id -u)"] }`, `  gone: { image: "${dead}/team/app:v1", command: ["true"] }`, ''].join('\n'),
    );
  });
  afterAll(async () => {
    await reg?.stop();
    s?.remove();
  });

  it('refused: the policy error, no registry contacted (the dead one is not even tried), nothing stored', async () => {
    config(['registry.internal/*']);
    for (const [service, host] of [['gone', dead], ['web', reg.host]] as const) {
      const r = await ctnr('run', service);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(`service "${service}" is refused before its image is pulled: imageRegistries: image ${host}/team/app:v1 (${host}/team/app) is not from an allowed place (allowedImages: registry.internal/*)`);
      expect(r.stderr).not.toContain('connection refused');
    }
    const images = await ctnr('images');
    expect(images.stdout).not.toContain('team/app');
  });

  it('an exemption for the image lets the pull happen (the dead registry is then tried)', async () => {
    config(['registry.internal/*'], [{ image: `${dead}/*`, control: 'imageRegistries', reason: 'test' }]);
    const r = await ctnr('run', 'gone');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`connection refused by ${dead}`);
  });

  it('allowed: pulled, and the container runs under runc', async () => {
    config([`${reg.host}/team/*`]);
    const r = await ctnr('run', '--runtime', 'runc', '--rm', 'web');
    expect([r.status, r.stdout], r.stderr).toEqual([0, 'ran as 0\n']);
    expect((await ctnr('images')).stdout).toContain(`${reg.host}/team/app`);
    // The spec of the allowed service (cli() validates it against the runtime-spec schema).
    const spec = await ctnr('spec', 'web');
    expect(spec.status, spec.stderr).toBe(0);
    expect(JSON.parse(spec.stdout).process.args).toEqual(['sh', '-c', 'echo ran as $(id -u)']);
  });
});
