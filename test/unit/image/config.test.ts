import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseImageConfig, readImageConfigFile, resolveImageConfig, type ImageSources } from '../../../src/image/config.js';
import { openProject, runService } from '../../../src/project.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'ctnr-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, content: string): string {
  const file = path.join(tmp, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** A minimal OCI image layout holding one manifest (no layers) per image, each named by ref.name. */
function layout(dir: string, images: Record<string, object>): string {
  const root = path.join(tmp, dir);
  const blob = (doc: object) => {
    const text = JSON.stringify(doc);
    const hex = createHash('sha256').update(text).digest('hex');
    write(path.join(dir, 'blobs/sha256', hex), text);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(text) };
  };
  const manifests = Object.entries(images).map(([ref, config]) => {
    const cfg = blob({ architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: [] } });
    const manifest = blob({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers: [] });
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': ref } };
  });
  write(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  write(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return root;
}

describe('parseImageConfig', () => {
  it.each([
    { what: 'a whole image config document', doc: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], Env: ['A=1'], User: 'app' } }, expected: { Cmd: ['sh'], Env: ['A=1'], User: 'app' } },
    { what: 'only the config object', doc: { Entrypoint: ['/init'], WorkingDir: '/srv' }, expected: { Entrypoint: ['/init'], WorkingDir: '/srv' } },
    { what: 'docker nulls and empty strings are absent', doc: { config: { Env: null, Volumes: null, User: '', WorkingDir: '', Cmd: null } }, expected: { Cmd: null } },
    {
      what: 'carried fields for other stages',
      doc: { config: { StopSignal: 'SIGQUIT', ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b' }, Volumes: { '/data': {} } } },
      expected: { StopSignal: 'SIGQUIT', ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b' }, Volumes: { '/data': {} } },
    },
    { what: 'unknown fields of the image spec are ignored', doc: { config: { Cmd: ['x'], ArgsEscaped: true, OnBuild: null } }, expected: { Cmd: ['x'] } },
  ])('$what', ({ doc, expected }) => {
    expect(parseImageConfig(doc, 'img.json')).toEqual(expected);
  });

  it.each([
    { doc: [], message: 'img.json: an image config must be a JSON object' },
    { doc: { config: { Env: ['NOEQUALS'] } }, message: 'img.json: config.Env[0]: is not KEY=VALUE' },
    { doc: { config: { Cmd: 'sh -c x' } }, message: 'img.json: config.Cmd: Invalid input: expected array, received string' },
    { doc: { config: { StopSignal: 'SIGBOGUS' } }, message: 'img.json: config.StopSignal: is not a signal name or number' },
    { doc: { config: { StopSignal: '99' } }, message: 'img.json: config.StopSignal: is not a signal name or number' },
  ])('$message', ({ doc, message }) => {
    expect(() => parseImageConfig(doc, 'img.json')).toThrow(message);
  });

  it('a file that is not JSON is an IMAGE_INVALID error naming it', () => {
    const file = write('bad.json', '{ nope');
    expect(() => readImageConfigFile(file)).toThrow(`${file} is not JSON`);
  });
});

describe('resolveImageConfig', () => {
  const configFile = write('cfg/image.json', JSON.stringify({ config: { Cmd: ['from-file'] } }));
  const oci = layout('layout', { 'app:1': { Cmd: ['app-one'] }, 'docker.io/library/app:2': { Cmd: ['app-two'] } });

  it.each([
    { what: '--image-config wins', sources: { imageConfig: configFile, image: oci }, image: 'app:1', cmd: ['from-file'] },
    { what: '--image picks the manifest by ref.name', sources: { image: oci }, image: 'app:1', cmd: ['app-one'] },
    { what: '--image matches a full reference', sources: { image: oci }, image: 'docker.io/library/app:2', cmd: ['app-two'] },
    { what: 'config mapping: config file', sources: { images: { 'app:1': { config: 'cfg/image.json' } }, mappingBase: tmp }, image: 'app:1', cmd: ['from-file'] },
    { what: 'config mapping: layout', sources: { images: { 'app:1': { layout: 'layout' } }, mappingBase: tmp }, image: 'app:1', cmd: ['app-one'] },
    { what: 'no source for this image', sources: { images: { 'other:1': { config: 'cfg/image.json' } }, mappingBase: tmp }, image: 'app:1', cmd: undefined },
  ])('$what', async ({ sources, image, cmd }) => {
    const config = await resolveImageConfig({ cwd: tmp, ...sources } as ImageSources, image, () => ({ os: 'linux', architecture: 'amd64' }));
    expect(config?.Cmd).toEqual(cmd);
  });

  it('a layout without the named image and several candidates is an error', async () => {
    await expect(resolveImageConfig({ image: oci }, 'nope:9', () => ({ os: 'linux', architecture: 'amd64' }))).rejects.toThrow('none is named "nope:9"');
  });

  it('runService uses --image-config for the service (docker combination done by the process stage)', async () => {
    const dir = path.join(tmp, 'project');
    write('project/compose.yaml', 'services:\n  web:\n    image: app:1\n    environment: [SVC=1]\n');
    write('project/img.json', JSON.stringify({ config: { Entrypoint: ['/entry'], Cmd: ['serve'], Env: ['PATH=/img/bin'], WorkingDir: '/srv' } }));
    const project = await openProject({ cwd: dir, imageConfig: 'img.json', env: { rootless: false, uid: 0, gid: 0 } });
    const { result } = await runService(project, 'web');
    expect(result.spec.process).toMatchObject({ args: ['/entry', 'serve'], cwd: '/srv', env: ['PATH=/img/bin', 'SVC=1'] });
  });
});
