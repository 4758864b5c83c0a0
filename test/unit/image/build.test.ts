import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequestOf, builderCommands, type BuildRequest, type BuildSource } from '../../../src/image/build.js';
import { serviceImageName } from '../../../src/compose/image-name.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-build-'));
  mkdirSync(path.join(dir, 'app'));
  writeFileSync(path.join(dir, 'app', 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(dir, 'app', 'Other.dockerfile'), 'FROM scratch\n');
  mkdirSync(path.join(dir, 'empty'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = (build: unknown, image?: string): BuildSource => ({
  project: 'shop',
  service: 'web',
  keys: { build, ...(image ? { image } : {}) },
  dir,
  variables: { FROM_ENV: 'env-value' },
});

describe('build: what a service asks the builder for', () => {
  it('names the image: image:, else <project>-<service>; none without build:', () => {
    expect(serviceImageName('shop', 'web', { build: '.', image: 'registry.local/shop/web:2' })).toBe('registry.local/shop/web:2');
    expect(serviceImageName('shop', 'web', { build: '.' })).toBe('shop-web');
    expect(serviceImageName('shop', 'web', {})).toBeUndefined();
  });

  it.each([
    { what: 'the short form: a context path', build: './app', want: { context: 'app', args: [], labels: [] } },
    {
      what: 'args as a mapping (a null value from the variables, unset ones dropped) and labels as a list',
      build: { context: 'app', args: { A: '1', N: 2, FROM_ENV: null, UNSET: null }, labels: ['team=shop', 'tier=web'] },
      want: { args: [['A', '1'], ['N', '2'], ['FROM_ENV', 'env-value']], labels: [['team', 'shop'], ['tier', 'web']] },
    },
    { what: 'args as a list, a bare KEY from the variables', build: { context: 'app', args: ['A=x=y', 'FROM_ENV', 'UNSET'] }, want: { args: [['A', 'x=y'], ['FROM_ENV', 'env-value']] } },
    { what: 'a dockerfile relative to the context', build: { context: 'app', dockerfile: 'Other.dockerfile' }, want: { dockerfile: 'app/Other.dockerfile' } },
    { what: 'an inline Dockerfile (the context needs none)', build: { context: 'empty', dockerfile_inline: 'FROM scratch\n' }, want: { inline: 'FROM scratch\n', context: 'empty' } },
    {
      what: 'target, no_cache, pull, network, extra_hosts, shm_size',
      build: { context: 'app', target: 'prod', no_cache: true, pull: true, network: 'host', extra_hosts: ['db:10.0.0.2', 'cache=10.0.0.3'], shm_size: '64m' },
      want: { target: 'prod', noCache: true, pull: true, network: 'host', extraHosts: ['db:10.0.0.2', 'cache:10.0.0.3'], shmSize: 64 * 1024 * 1024 },
    },
  ])('$what', ({ build, want }) => {
    const req = buildRequestOf(source(build))!;
    const abs = (p: string) => path.join(dir, p);
    expect(req).toMatchObject({
      ...want,
      service: 'web',
      image: 'docker.io/library/shop-web:latest',
      context: abs((want as { context?: string }).context ?? 'app'),
      ...((want as { dockerfile?: string }).dockerfile ? { dockerfile: abs((want as { dockerfile: string }).dockerfile) } : {}),
    });
  });

  it('a cache-only key is said and left out; the image name is the service\'s image:', () => {
    const warnings: string[] = [];
    const req = buildRequestOf(source({ context: 'app', cache_from: ['x'] }, 'registry.local:5000/shop/web:2'), (w) => warnings.push(w));
    expect(req!.image).toBe('registry.local:5000/shop/web:2');
    expect(warnings).toEqual(['services.web.build.cache_from: not passed to the builder (it only steers a cache)']);
  });

  it.each([
    { what: 'a key ctnr does not pass', build: { context: 'app', ssh: ['default'] }, path: 'services.web.build.ssh', message: 'is not supported: ctnr passes context, dockerfile' },
    { what: 'a remote context', build: 'https://github.com/acme/app.git', path: 'services.web.build.context', message: 'remote build contexts are not supported' },
    { what: 'a git@ context', build: { context: 'git@github.com:acme/app.git' }, path: 'services.web.build.context', message: 'remote build contexts are not supported' },
    { what: 'a context that is no directory', build: 'missing', path: 'services.web.build.context', message: 'missing is not a directory' },
    { what: 'a context without a Dockerfile', build: 'empty', path: 'services.web.build.context', message: 'has no Dockerfile (name one with build.dockerfile)' },
    { what: 'a dockerfile that is no file', build: { context: 'app', dockerfile: 'Nope' }, path: 'services.web.build.dockerfile', message: 'app/Nope is not a file' },
    { what: 'both dockerfile and dockerfile_inline', build: { context: 'app', dockerfile: 'Other.dockerfile', dockerfile_inline: 'FROM x' }, path: 'services.web.build.dockerfile_inline', message: 'exclude each other' },
    { what: 'an arg that is a list', build: { context: 'app', args: { A: ['x'] } }, path: 'services.web.build.args.A', message: 'must be a string, a number or a boolean' },
    { what: 'no_cache that is no boolean', build: { context: 'app', no_cache: 'yes' }, path: 'services.web.build.no_cache', message: 'must be true or false' },
    { what: 'an extra host without an address', build: { context: 'app', extra_hosts: ['db'] }, path: 'services.web.build.extra_hosts[0]', message: 'must be HOST:IP' },
    { what: 'a build that is a list', build: ['app'], path: 'services.web.build', message: 'must be a context path or a mapping' },
    { what: 'a named network', build: { context: 'app', network: 'backend' }, path: 'services.web.build.network', message: '"backend": a build\'s RUN steps use the builder\'s default network, host or none' },
  ])('refused: $what', ({ build, path: at, message }) => {
    let err: any;
    try {
      buildRequestOf(source(build));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SERVICE_INVALID', path: at });
    expect(err.message).toContain(message);
  });
});

describe('the builder command lines', () => {
  const req: BuildRequest = {
    service: 'web',
    image: 'docker.io/library/shop-web:latest',
    context: '/p/app',
    args: [['A', '1']],
    labels: [['team', 'shop']],
    target: 'prod',
    noCache: false,
    pull: true,
    extraHosts: ['db:10.0.0.2'],
  };
  const opts = (name: 'podman' | 'buildah' | 'docker') => ({ builder: { name, path: `/usr/bin/${name}` }, dataDir: '/var/lib/ctnr', runRoot: '/run/ctnr', runtime: '/usr/sbin/runc', networkDir: '/var/lib/ctnr/build/cni', output: () => {} });

  it('podman: its own storage under the data dir, ctnr\'s runtime and build network, then an OCI archive of the image', () => {
    const { build, save } = builderCommands(req, opts('podman'), '/p/app/Other.dockerfile', '/tmp/x/image.tar');
    const storage = ['--root', '/var/lib/ctnr/build/storage', '--runroot', '/run/ctnr/build', '--runtime', '/usr/sbin/runc'];
    expect(build.slice(0, storage.length)).toEqual(storage);
    expect(build.slice(build.indexOf('--network-config-dir'), build.indexOf('--network-config-dir') + 2)).toEqual(['--network-config-dir', '/var/lib/ctnr/build/cni']);
    // network: host needs no network of ctnr's
    expect(builderCommands({ ...req, network: 'host' }, opts('podman'), undefined, '/tmp/x/image.tar').build).not.toContain('--network-config-dir');
    expect(build.slice(build.indexOf('build'))).toEqual([
      'build', '-t', 'docker.io/library/shop-web:latest', '-f', '/p/app/Other.dockerfile', '--build-arg', 'A=1', '--label', 'team=shop', '--target', 'prod', '--pull=always', '--add-host', 'db:10.0.0.2', '/p/app',
    ]);
    expect(save.slice(save.indexOf('save'))).toEqual(['save', '--format', 'oci-archive', '-o', '/tmp/x/image.tar', 'docker.io/library/shop-web:latest']);
  });

  it('buildah: the same storage, the runtime as a build flag, pushed to an OCI archive', () => {
    const { build, save } = builderCommands(req, opts('buildah'), undefined, '/tmp/x/image.tar');
    expect(build).toEqual([
      '--root', '/var/lib/ctnr/build/storage', '--runroot', '/run/ctnr/build',
      'build', '-t', 'docker.io/library/shop-web:latest', '--build-arg', 'A=1', '--label', 'team=shop', '--target', 'prod', '--pull=always', '--add-host', 'db:10.0.0.2', '--runtime', '/usr/sbin/runc', '--cni-config-dir', '/var/lib/ctnr/build/cni', '/p/app',
    ]);
    expect(save).toEqual(['--root', '/var/lib/ctnr/build/storage', '--runroot', '/run/ctnr/build', 'push', 'docker.io/library/shop-web:latest', 'oci-archive:/tmp/x/image.tar:docker.io/library/shop-web:latest']);
  });

  it('docker: its daemon\'s own storage, then docker save', () => {
    const { build, save } = builderCommands({ ...req, noCache: true }, opts('docker'), undefined, '/tmp/x/image.tar');
    expect(build).toEqual(['build', '-t', 'docker.io/library/shop-web:latest', '--build-arg', 'A=1', '--label', 'team=shop', '--target', 'prod', '--no-cache', '--pull', '--add-host', 'db:10.0.0.2', '/p/app']);
    expect(save).toEqual(['save', '-o', '/tmp/x/image.tar', 'docker.io/library/shop-web:latest']);
  });
});
