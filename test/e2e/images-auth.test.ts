import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLayer, registryAvailable, startRegistry, type PushedImage, type TestRegistry } from '../helpers/registry.js';
import { e2eAvailable } from '../helpers/runc.js';
import { busyboxLayer, cli, errLines, requireBuild, scratch, startProxy, type Proxy, type Scratch } from './images-helpers.js';

/**
 * Credentials and registry configuration through the built CLI: `ctnr login` / `logout` against a basic-auth
 * docker-registry (auth.json written where REGISTRY_AUTH_FILE, --authfile or XDG_RUNTIME_DIR say, mode 0600;
 * refused passwords write nothing), pulls with what login stored, and Docker Hub mirrors from `-c FILE`.
 */

const ready = registryAvailable('registry credentials e2e tests');
const mode = (file: string) => statSync(file).mode & 0o777;

describe.skipIf(!ready)('ctnr login and logout', () => {
  let reg: TestRegistry;
  let img: PushedImage;
  let ref: string;
  beforeAll(async () => {
    requireBuild();
    reg = await startRegistry({ auth: 'basic', users: { alice: 'secret' } });
    img = await reg.pushImage('private/app', 'v1', { layers: [makeLayer({ 'etc/private': 'yes\n' })], config: { Cmd: ['true'] } });
    ref = `${reg.host}/private/app:v1`;
  });
  afterAll(() => reg?.stop());

  let s: Scratch;
  beforeAll(() => {
    s = scratch();
  });
  afterAll(() => s?.remove());
  const pull = (env: NodeJS.ProcessEnv) => cli(['pull', ref, '--data-dir', s.dataDir], { env });

  it('without credentials a pull is refused with REGISTRY_AUTH saying how to log in', async () => {
    const r = await pull(s.env);
    expect(r.status).toBe(1);
    expect(errLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: cannot pull ${ref}: .*ctnr login ${reg.host}`))]);
  });

  it('a wrong password: exit 1, REGISTRY_AUTH without the password, and no auth file written', async () => {
    const file = path.join(s.dir, 'wrong', 'auth.json');
    const r = await cli(['login', reg.host, '-u', 'alice', '--password-stdin', '--authfile', file], { env: s.env, input: 'not-the-password\n' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(errLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: login to ${reg.host} failed: `))]);
    expect(r.stderr).not.toContain('not-the-password');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(path.join(s.env.XDG_RUNTIME_DIR!, 'containers/auth.json'))).toBe(false);
  });

  it('login needs the password on stdin: no --password-stdin is a usage error', async () => {
    const r = await cli(['login', reg.host, '-u', 'alice'], { env: s.env });
    expect(r.status).toBe(2);
    expect(errLines(r.stderr)).toEqual([expect.stringContaining('--password-stdin')]);
  });

  it('REGISTRY_AUTH_FILE: login writes it (mode 0600), a pull with it works, logout removes the entry', async () => {
    const file = path.join(s.dir, 'env-auth', 'auth.json');
    const env = { ...s.env, REGISTRY_AUTH_FILE: file };
    const r = await cli(['login', reg.host, '-u', 'alice', '--password-stdin'], { env, input: 'secret\n' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`Login succeeded (credentials for ${reg.host} stored in ${file})\n`);
    expect(mode(file)).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ auths: { [reg.host]: { auth: Buffer.from('alice:secret').toString('base64') } } });

    const pulled = await pull(env);
    expect(pulled.stderr).toBe('');
    expect(pulled.status).toBe(0);
    expect(pulled.stdout).toBe(`${ref} ${img.digest}\n`);

    const out = await cli(['logout', reg.host], { env });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(`Removed login credentials for ${reg.host} from ${file}\n`);
    expect(JSON.parse(readFileSync(file, 'utf8')).auths).toEqual({});
    expect(mode(file)).toBe(0o600);
    const again = await cli(['pull', ref, '--data-dir', path.join(s.dir, 'data-2')], { env });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^error: cannot pull .*ctnr login/);
  });

  it('--authfile: login writes that file and keeps other entries; logout of a registry not in it fails', async () => {
    const file = path.join(s.dir, 'flag-auth.json');
    writeFileSync(file, JSON.stringify({ auths: { 'other.example': { auth: 'b3RoZXI6b3RoZXI=' } } }), { mode: 0o600 });
    const r = await cli(['login', reg.host, '-u', 'alice', '--password-stdin', '--authfile', file], { env: s.env, input: 'secret' });
    expect(r.status).toBe(0);
    expect(mode(file)).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).auths).sort()).toEqual([reg.host, 'other.example'].sort());
    expect((await pull({ ...s.env, REGISTRY_AUTH_FILE: file })).status).toBe(0);
    expect((await cli(['logout', reg.host, '--authfile', file], { env: s.env })).status).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).auths)).toEqual(['other.example']);
    const none = await cli(['logout', reg.host, '--authfile', file], { env: s.env });
    expect(none.status).not.toBe(0);
    expect(errLines(none.stderr)).toEqual([`error: not logged in to ${reg.host} (no entry in ${file})`]);
  });

  it('the default place, $XDG_RUNTIME_DIR/containers/auth.json: login writes it and a plain pull finds it', async () => {
    const r = await cli(['login', reg.host, '-u', 'alice', '--password-stdin'], { env: s.env, input: 'secret\n' });
    expect(r.status).toBe(0);
    const file = path.join(s.env.XDG_RUNTIME_DIR!, 'containers/auth.json');
    expect(mode(file)).toBe(0o600);
    expect((await cli(['pull', ref, '--data-dir', path.join(s.dir, 'data-3')], { env: s.env })).status).toBe(0);
    expect((await cli(['logout', reg.host], { env: s.env })).status).toBe(0);
  });
});

describe.skipIf(!ready)('a bearer-token registry', () => {
  let reg: TestRegistry;
  let s: Scratch;
  let img: PushedImage;
  beforeAll(async () => {
    requireBuild();
    s = scratch();
    // anonymous tokens may pull public/*; private/* needs a user
    reg = await startRegistry({
      auth: 'token',
      users: { bob: 'hunter2' },
      grant: (account, repository, actions) => (account !== undefined || repository.startsWith('public/') ? actions.filter((a) => a === 'pull') : []),
    });
    img = await reg.pushImage('public/app', 'v1', { layers: [makeLayer({ 'etc/public': 'yes\n' })], config: { Cmd: ['true'] } });
    await reg.pushImage('private/app', 'v1', { layers: [makeLayer({ 'etc/private': 'yes\n' })], config: { Cmd: ['true'] } });
  });
  afterAll(async () => {
    await reg?.stop();
    s?.remove();
  });

  it('an anonymous token pulls a public repository', async () => {
    const r = await cli(['pull', `${reg.host}/public/app:v1`, '--data-dir', s.dataDir], { env: s.env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${reg.host}/public/app:v1 ${img.digest}\n`);
    expect(reg.token!.requests.some((q) => q.account === undefined && q.scopes.includes('repository:public/app:pull'))).toBe(true);
  });

  it('a private repository: refused anonymously, pulled after ctnr login (the token server checks the password)', async () => {
    const ref = `${reg.host}/private/app:v1`;
    const refused = await cli(['pull', ref, '--data-dir', s.dataDir], { env: s.env });
    expect(refused.status).toBe(1);
    expect(errLines(refused.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: cannot pull ${ref}: `))]);
    const wrong = await cli(['login', reg.host, '-u', 'bob', '--password-stdin'], { env: s.env, input: 'wrong\n' });
    expect(wrong.status).toBe(1);
    expect(existsSync(path.join(s.env.XDG_RUNTIME_DIR!, 'containers/auth.json'))).toBe(false);
    const login = await cli(['login', reg.host, '-u', 'bob', '--password-stdin'], { env: s.env, input: 'hunter2\n' });
    expect(login.stderr).toBe('');
    expect(login.status).toBe(0);
    const pulled = await cli(['pull', ref, '--data-dir', s.dataDir], { env: s.env });
    expect(pulled.stderr).toBe('');
    expect(pulled.status).toBe(0);
    expect(reg.token!.requests.some((q) => q.account === 'bob' && q.scopes.includes('repository:private/app:pull'))).toBe(true);
  });
});

describe.skipIf(!ready)('Docker Hub mirrors from the ctnr config', () => {
  let reg: TestRegistry;
  let proxy: Proxy;
  let img: PushedImage;
  let s: Scratch;
  let config: string;
  beforeAll(async () => {
    requireBuild();
    s = scratch();
    reg = await startRegistry();
    proxy = await startProxy(reg.host);
    img = await reg.pushImage('m/library/hello', '1', { layers: [busyboxLayer()], config: { Cmd: ['echo', 'hello from the mirror'] } });
    config = path.join(s.dir, 'cfg', 'ctnr.config.json');
    mkdirSync(path.dirname(config));
    writeFileSync(config, JSON.stringify({ registries: { 'docker.io': { mirrors: [`${proxy.host}/m`] } } }));
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
    s?.remove();
  });

  it('ctnr pull hello:1 -c FILE is served by the mirror at m/library/hello', async () => {
    const r = await cli(['pull', 'hello:1', '-c', config, '--data-dir', s.dataDir], { env: s.env, cwd: s.dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`docker.io/library/hello:1 ${img.digest}\n`);
    expect(proxy.requests.map((q) => `${q.method} ${q.path}`)).toEqual(
      expect.arrayContaining([`GET /v2/m/library/hello/manifests/1`, `GET /v2/m/library/hello/blobs/${img.layers[0]!.digest}`]),
    );
    const listed = (await cli(['images', '--data-dir', s.dataDir], { env: s.env })).stdout;
    expect(listed.split('\n')[1]).toMatch(/^hello:1\s/);
  });

  it('the config found from the working directory works the same (no -c)', async () => {
    const r = await cli(['pull', 'library/hello:1', '--data-dir', path.join(s.dir, 'data-cwd')], { env: s.env, cwd: path.dirname(config) });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!e2eAvailable('runc'))('ctnr run of a compose service with image: hello:1 pulls through the mirror and runs it', async () => {
    const dir = path.join(s.dir, 'proj');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  app:\n    image: hello:1\n    network_mode: none\n');
    const r = await cli(['run', '-f', path.join(dir, 'compose.yaml'), 'app', '-c', config, '--data-dir', path.join(s.dir, 'data-run'), '--runtime', 'runc', '--rm'], { env: s.env, cwd: dir });
    expect(errLines(r.stderr)).toEqual([]);
    expect(r.stdout).toBe('hello from the mirror\n');
    expect(r.status).toBe(0);
  });
});
