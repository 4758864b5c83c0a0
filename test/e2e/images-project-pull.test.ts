import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryAvailable, startRegistry, tempDir, type PushedImage, type TestRegistry } from '../helpers/registry.js';
import { busyboxLayer, cli, requireBuild } from './images-helpers.js';

/**
 * `ctnr pull` without references pulls the images of the compose file's services, as `docker compose pull`: the
 * active services' (profiles as `up` reads them), each image once, a building service left to `ctnr build`; and it
 * pulls again what the store already holds, so `ctnr pull` then `ctnr up` brings a changed tag's image.
 */
const ready = registryAvailable('project pull e2e tests');

describe.skipIf(!ready)('ctnr pull of a project', () => {
  const tmp = tempDir('ctnr-project-pull-');
  let reg: TestRegistry;
  let app: PushedImage;
  let tools: PushedImage;
  let project: string;
  const data = () => path.join(tmp.dir, 'data');
  const pull = (...args: string[]) => cli(['pull', '--data-dir', data(), ...args], { cwd: project, env: { ...process.env, NO_COLOR: '1' } });

  beforeAll(async () => {
    requireBuild();
    reg = await startRegistry();
    app = await reg.pushImage('team/app', 'v1', { layers: [busyboxLayer()] });
    tools = await reg.pushImage('team/tools', 'v1', { layers: [busyboxLayer()], config: { Cmd: ['sh'] } });
    project = path.join(tmp.dir, 'p');
    mkdirSync(path.join(project, 'ctx'), { recursive: true });
    writeFileSync(path.join(project, 'ctx', 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(
      path.join(project, 'compose.yaml'),
      [
        'services:',
        `  web: { image: "${reg.host}/team/app:v1" }`,
        `  worker: { image: "\${APP_IMAGE}" }`,
        '  built: { build: ./ctx, image: built:latest }',
        '  plain: { command: ["true"] }',
        `  debug: { image: "${reg.host}/team/tools:v1", profiles: [debug] }`,
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(project, '.env'), `APP_IMAGE=${reg.host}/team/app:v1\n`);
  });
  afterAll(async () => {
    await reg?.stop();
    tmp.remove();
  });

  it('pulls each active service’s image once, and says a building service is left to ctnr build', async () => {
    const r = await pull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${reg.host}/team/app:v1 ${app.digest}\n`);
    expect(r.stderr).toBe('note: built builds its image: ctnr build makes it, nothing is pulled\n');
  });

  it('--profile adds that profile’s services', async () => {
    const r = await pull('--profile', 'debug');
    expect(r.stdout).toBe(`${reg.host}/team/app:v1 ${app.digest}\n${reg.host}/team/tools:v1 ${tools.digest}\n`);
  });

  it('pulls again: a tag pushed anew is the new image in the store', async () => {
    const next = await reg.pushImage('team/app', 'v1', { layers: [busyboxLayer()], config: { Env: ['VERSION=2'] } });
    expect(next.digest).not.toBe(app.digest);
    const r = await pull();
    expect(r.stdout).toBe(`${reg.host}/team/app:v1 ${next.digest}\n`);
    const images = await cli(['images', '--json', '--data-dir', data()], { cwd: project });
    expect(JSON.parse(images.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ reference: `${reg.host}/team/app:v1`, digest: next.digest })]));
  });

  it('a failed pull names the service where the file gives its image', async () => {
    writeFileSync(path.join(project, 'compose.yaml'), `services:\n  web:\n    image: "${reg.host}/team/missing:v1"\n`);
    const r = await pull();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`compose\\.yaml:3:\\d+ services\\.web\\.image: .*team/missing`));
  });
});
