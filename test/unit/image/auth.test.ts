import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { authFiles, defaultAuthFile, findCredentials, removeLogin, storeLogin, type AuthEnv } from '../../../src/image/auth.js';

/** Every test gets a fresh fake HOME and an env that points nowhere real: no file of this machine is read. */
const root = mkdtempSync(path.join(tmpdir(), 'ctnr-auth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let home = '';
let seq = 0;
beforeEach(() => {
  home = path.join(root, `home${++seq}`);
  mkdirSync(home);
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const auth = (user: string, pass: string) => ({ auth: b64(`${user}:${pass}`) });
function write(rel: string, doc: unknown): string {
  const file = path.join(home, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}
function opts(env: NodeJS.ProcessEnv = {}, run?: AuthEnv['run']): AuthEnv {
  return { env: { PATH: '/nonexistent', ...env }, home, ...(run ? { run } : {}) };
}

describe('findCredentials: file order', () => {
  it('searches REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, DOCKER_CONFIG, ~/.dockercfg in that order', () => {
    const env = { REGISTRY_AUTH_FILE: '/a/auth.json', XDG_RUNTIME_DIR: '/run/u', XDG_CONFIG_HOME: '/cfg', DOCKER_CONFIG: '/dc' };
    expect(authFiles({ env, home: '/h' }).map((f) => f.path)).toEqual(['/a/auth.json', '/run/u/containers/auth.json', '/cfg/containers/auth.json', '/dc/config.json', '/h/.dockercfg']);
    expect(authFiles({ env: {}, home: '/h' }).map((f) => f.path)).toEqual(['/h/.config/containers/auth.json', '/h/.docker/config.json', '/h/.dockercfg']);
  });

  // [files holding an entry for the registry] → the one that wins
  const files = {
    authFile: 'explicit/auth.json',
    runtime: 'run/containers/auth.json',
    config: '.config/containers/auth.json',
    docker: '.docker/config.json',
  } as const;
  const env = () => ({ REGISTRY_AUTH_FILE: path.join(home, files.authFile), XDG_RUNTIME_DIR: path.join(home, 'run') });
  const table: Array<[Array<keyof typeof files>, keyof typeof files]> = [
    [['authFile', 'runtime', 'config', 'docker'], 'authFile'],
    [['runtime', 'config', 'docker'], 'runtime'],
    [['config', 'docker'], 'config'],
    [['docker'], 'docker'],
  ];
  it.each(table)('%j → %s', async (present, winner) => {
    for (const name of Object.keys(files) as Array<keyof typeof files>) {
      write(files[name], present.includes(name) ? { auths: { 'r.io': auth(name, 'pw') } } : { auths: { 'other.io': auth('x', 'y') } });
    }
    const found = await findCredentials('r.io', 'ns/app', opts(env()));
    expect(found).toEqual({ credentials: { username: winner, password: 'pw' }, source: path.join(home, files[winner]) });
  });

  it('uses $DOCKER_CONFIG instead of ~/.docker', async () => {
    write('.docker/config.json', { auths: { 'r.io': auth('home', 'pw') } });
    const dc = write('elsewhere/config.json', { auths: { 'r.io': auth('dc', 'pw') } });
    expect((await findCredentials('r.io', 'x', opts({ DOCKER_CONFIG: path.dirname(dc) })))?.credentials).toEqual({ username: 'dc', password: 'pw' });
  });

  it('reads the legacy ~/.dockercfg (keys are registries or their URLs)', async () => {
    write('.dockercfg', { 'https://r.io/v1/': auth('legacy', 'pw') });
    expect((await findCredentials('r.io', 'x', opts()))?.credentials).toEqual({ username: 'legacy', password: 'pw' });
  });

  it('is undefined when nothing matches, and when no file exists', async () => {
    expect(await findCredentials('r.io', 'x', opts())).toBeUndefined();
    write('.docker/config.json', { auths: { 'q.io': auth('a', 'b') } });
    expect(await findCredentials('r.io', 'x', opts())).toBeUndefined();
  });
});

describe('findCredentials: keys inside a file', () => {
  const table: Array<[string, Record<string, unknown>, string, string, string | undefined]> = [
    ['repository beats namespace beats host', { 'r.io': auth('host', 'p'), 'r.io/ns': auth('ns', 'p'), 'r.io/ns/app': auth('repo', 'p') }, 'r.io', 'ns/app', 'repo'],
    ['namespace beats host', { 'r.io': auth('host', 'p'), 'r.io/ns': auth('ns', 'p') }, 'r.io', 'ns/sub/app', 'ns'],
    ['host', { 'r.io': auth('host', 'p'), 'r.io/other': auth('other', 'p') }, 'r.io', 'ns/app', 'host'],
    ['a namespace key does not match a longer name', { 'r.io/n': auth('n', 'p') }, 'r.io', 'ns/app', undefined],
    ['docker.io library', { 'docker.io/library/postgres': auth('pg', 'p'), 'docker.io': auth('hub', 'p') }, 'docker.io', 'library/postgres', 'pg'],
    ['docker.io via docker\'s URL key', { 'https://index.docker.io/v1/': auth('hub', 'p') }, 'docker.io', 'library/postgres', 'hub'],
    ['docker.io via index.docker.io', { 'index.docker.io': auth('hub', 'p') }, 'docker.io', 'user/app', 'hub'],
    ['a URL key for another host', { 'https://r.io': auth('url', 'p') }, 'r.io', 'x', 'url'],
    ['a URL key with a path', { 'http://r.io:5000/v2/': auth('url', 'p') }, 'r.io:5000', 'x', 'url'],
    ['exact key beats a URL key', { 'https://r.io/v1/': auth('url', 'p'), 'r.io': auth('exact', 'p') }, 'r.io', 'x', 'exact'],
    ['port matters', { 'r.io:5000': auth('port', 'p') }, 'r.io', 'x', undefined],
    ['empty entry (docker\'s credsStore marker) is no match', { 'r.io': {} }, 'r.io', 'x', undefined],
  ];
  it.each(table)('%s', async (_name, auths, registry, repository, user) => {
    write('.docker/config.json', { auths });
    const found = await findCredentials(registry, repository, opts());
    expect(found === undefined ? undefined : (found.credentials as { username: string }).username).toBe(user);
  });

  it('decodes passwords with colons and trailing NULs', async () => {
    write('.docker/config.json', { auths: { 'r.io': { auth: b64('u:p:a:ss\0\0') } } });
    expect((await findCredentials('r.io', 'x', opts()))?.credentials).toEqual({ username: 'u', password: 'p:a:ss' });
  });

  it('returns an identity token', async () => {
    write('.docker/config.json', { auths: { 'r.io': { auth: b64('u:p'), identitytoken: 'refresh-me' } } });
    expect((await findCredentials('r.io', 'x', opts()))?.credentials).toEqual({ identityToken: 'refresh-me' });
  });
});

describe('findCredentials: helpers', () => {
  function stub(answers: Record<string, Record<string, string>>) {
    const calls: string[] = [];
    const run = async (helper: string, input: string) => {
      calls.push(`${helper} ${input}`);
      const a = answers[helper]?.[input];
      if (a === undefined) throw new Error('credentials not found in native keychain');
      return a;
    };
    return { calls, run };
  }
  const answer = (Username: string, Secret: string) => JSON.stringify({ ServerURL: 'x', Username, Secret });

  it('credHelpers comes first and its answer is the file\'s answer', async () => {
    const s = stub({ pass: { 'r.io': answer('helped', 'pw') } });
    write('.docker/config.json', { credHelpers: { 'r.io': 'pass' }, auths: { 'r.io': auth('file', 'pw') }, credsStore: 'desktop' });
    const found = await findCredentials('r.io', 'x', opts({}, s.run));
    expect(found).toEqual({ credentials: { username: 'helped', password: 'pw' }, source: `docker-credential-pass (credHelpers in ${path.join(home, '.docker/config.json')})` });
    expect(s.calls).toEqual(['pass r.io']);
  });

  it('a credHelpers entry with no login moves on to the next file', async () => {
    const s = stub({});
    write('.config/containers/auth.json', { credHelpers: { 'r.io': 'pass' }, auths: { 'r.io': auth('same-file', 'pw') } });
    write('.docker/config.json', { auths: { 'r.io': auth('next-file', 'pw') } });
    expect((await findCredentials('r.io', 'x', opts({}, s.run)))?.credentials).toEqual({ username: 'next-file', password: 'pw' });
  });

  it('credsStore comes after auths', async () => {
    const s = stub({ desktop: { 'q.io': answer('store', 'pw') } });
    write('.docker/config.json', { credsStore: 'desktop', auths: { 'r.io': auth('file', 'pw'), 'q.io': {} } });
    expect((await findCredentials('r.io', 'x', opts({}, s.run)))?.credentials).toEqual({ username: 'file', password: 'pw' });
    expect(s.calls).toEqual([]);
    const found = await findCredentials('q.io', 'x', opts({}, s.run));
    expect(found?.credentials).toEqual({ username: 'store', password: 'pw' });
    expect(found?.source).toMatch(/^docker-credential-desktop \(credsStore in /);
  });

  it('asks for Docker Hub as docker does, then as podman does; <token> is an identity token', async () => {
    const s = stub({ desktop: { 'docker.io': answer('<token>', 'tok') } });
    write('.docker/config.json', { credsStore: 'desktop' });
    expect((await findCredentials('docker.io', 'library/x', opts({}, s.run)))?.credentials).toEqual({ identityToken: 'tok' });
    expect(s.calls).toEqual(['desktop https://index.docker.io/v1/', 'desktop docker.io']);
  });

  it('finds credHelpers keyed by docker\'s Hub URL', async () => {
    const s = stub({ ecr: { 'https://index.docker.io/v1/': answer('u', 'p') } });
    write('.docker/config.json', { credHelpers: { 'https://index.docker.io/v1/': 'ecr' } });
    expect((await findCredentials('docker.io', 'library/x', opts({}, s.run)))?.credentials).toEqual({ username: 'u', password: 'p' });
  });

  it('a failing helper is an error naming it, without the secret it may have printed', async () => {
    write('.docker/config.json', { credsStore: 'broken' });
    const run = async () => {
      throw new Error('gpg: decryption failed: No secret key\nsecret-on-line-2');
    };
    const err = await findCredentials('r.io', 'x', opts({}, run)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_AUTH' });
    expect((err as Error).message).toBe(`credential helper docker-credential-broken (credsStore in ${path.join(home, '.docker/config.json')}) failed for r.io: gpg: decryption failed: No secret key`);
  });

  it('spawns docker-credential-<name> get from the env PATH', async () => {
    const bin = path.join(home, 'bin');
    mkdirSync(bin);
    const script = path.join(bin, 'docker-credential-stub');
    writeFileSync(script, '#!/bin/sh\nread server\n[ "$1" = get ] || exit 3\nif [ "$server" = r.io ]; then printf \'{"ServerURL":"r.io","Username":"spawned","Secret":"s3"}\'; else echo "credentials not found in native keychain"; exit 1; fi\n');
    chmodSync(script, 0o755);
    write('.docker/config.json', { credHelpers: { 'r.io': 'stub', 'q.io': 'stub', 'm.io': 'missing' } });
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    expect((await findCredentials('r.io', 'x', { env, home }))?.credentials).toEqual({ username: 'spawned', password: 's3' });
    expect(await findCredentials('q.io', 'x', { env, home })).toBeUndefined();
    await expect(findCredentials('m.io', 'x', { env, home })).rejects.toThrow(/docker-credential-missing is not installed/);
  });
});

describe('findCredentials: broken files are errors naming the file', () => {
  const table: Array<[string, string, RegExp]> = [
    ['bad JSON', '{"auths": {"r.io": {"auth": "c2VjcmV0OnNlY3JldA=="}', /is not valid JSON/],
    ['bad JSON around a secret', '{"auths": {"r.io": {"auth": hunter2}}}', /is not valid JSON/],
    ['text after the JSON', '{}\n}', /is not valid JSON at line 2, column 1/],
    ['not an object', '[1]', /must hold a JSON object/],
    ['auths not an object', '{"auths": "x"}', /auths must be a JSON object/],
    ['an auths entry not an object', '{"auths": {"r.io": "x"}}', /auths\["r.io"\] must be a JSON object/],
    ['auth not base64 of user:pass', '{"auths": {"r.io": {"auth": "bm9jb2xvbg=="}}}', /auths\["r.io"\].auth is not base64 of USER:PASSWORD/],
    ['credHelpers value not a name', '{"credHelpers": {"r.io": 1}}', /credHelpers\["r.io"\] must be a helper name/],
  ];
  it.each(table)('%s', async (_name, text, why) => {
    const file = write('.docker/config.json', text);
    const err = (await findCredentials('r.io', 'x', opts()).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('REGISTRY_AUTH');
    expect(err.message).toContain(file);
    expect(err.message).toMatch(why);
    expect(err.message).not.toMatch(/hunter2|c2VjcmV0|secret/);
  });

  it('an empty file is no credentials', async () => {
    write('.docker/config.json', '');
    expect(await findCredentials('r.io', 'x', opts())).toBeUndefined();
  });
});

describe('defaultAuthFile', () => {
  it('follows podman: REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, then the lasting ~/.config path', () => {
    expect(defaultAuthFile({ REGISTRY_AUTH_FILE: '/x/a.json', XDG_RUNTIME_DIR: '/run/user/1' })).toBe('/x/a.json');
    expect(defaultAuthFile({ XDG_RUNTIME_DIR: '/run/user/1', HOME: '/h' })).toBe('/run/user/1/containers/auth.json');
    expect(defaultAuthFile({ HOME: '/h' })).toBe('/h/.config/containers/auth.json');
    expect(defaultAuthFile({ HOME: '/h', XDG_CONFIG_HOME: '/c' })).toBe('/c/containers/auth.json');
  });
});

describe('storeLogin / removeLogin', () => {
  it('creates the directory 0700 and the file 0600, and the login is found again', async () => {
    const file = path.join(home, 'new/dir/auth.json');
    expect(storeLogin('r.io', { username: 'u', password: 'p:w' }, file)).toBe(file);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ auths: { 'r.io': { auth: b64('u:p:w') } } });
    expect((await findCredentials('r.io', 'x', opts({ REGISTRY_AUTH_FILE: file })))?.credentials).toEqual({ username: 'u', password: 'p:w' });
    expect(readdirSync(path.dirname(file))).toEqual(['auth.json']);
  });

  it('keeps the other keys and entries, and replaces an old identity token', () => {
    const file = write('auth.json', { auths: { 'q.io': auth('q', 'q'), 'r.io': { identitytoken: 'old' } }, credHelpers: { 'z.io': 'pass' }, HttpHeaders: { 'X-A': '1' } });
    storeLogin('r.io', { username: 'u', password: 'p' }, file);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ auths: { 'q.io': auth('q', 'q'), 'r.io': auth('u', 'p') }, credHelpers: { 'z.io': 'pass' }, HttpHeaders: { 'X-A': '1' } });
  });

  it.each([
    ['a character device (a /dev/null clone)', (f: string) => spawnSync('mknod', [f, 'c', '1', '3'])],
    ['a FIFO', (f: string) => spawnSync('mkfifo', [f])],
    ['a directory', (f: string) => mkdirSync(f)],
  ])('refuses %s as the credentials file and leaves it as it was', (_what, make) => {
    const file = path.join(home, `odd-${Math.random().toString(16).slice(2)}`);
    make(file);
    if (!existsSync(file)) return; // mknod needs root
    const kind = (s: import('node:fs').Stats) => [s.isCharacterDevice(), s.isFIFO(), s.isDirectory()].join();
    const before = kind(statSync(file));
    expect(() => storeLogin('r.io', { username: 'u', password: 'p' }, file)).toThrow(/is not a regular file; not written/);
    expect(() => removeLogin('r.io', file)).toThrow(/is not a regular file/);
    expect(kind(statSync(file))).toBe(before);
  });

  it('edits a symlinked file where it points', () => {
    const real = write('dotfiles/auth.json', { auths: {} });
    const link = path.join(home, 'link.json');
    symlinkSync(real, link);
    expect(storeLogin('r.io', { username: 'u', password: 'p' }, link)).toBe(real);
    expect(JSON.parse(readFileSync(real, 'utf8')).auths['r.io']).toEqual(auth('u', 'p'));
  });

  it('refuses names that are not registries', () => {
    for (const bad of ['', '__proto__', 'a b', '/x']) expect(() => storeLogin(bad, { username: 'u', password: 'p' }, path.join(home, 'a.json'))).toThrow(/is not a registry to log in to/);
    expect(existsSync(path.join(home, 'a.json'))).toBe(false);
  });

  it('refuses to overwrite a broken file', () => {
    const file = write('auth.json', '{oops');
    expect(() => storeLogin('r.io', { username: 'u', password: 'p' }, file)).toThrow(expect.objectContaining({ code: 'REGISTRY_AUTH' }));
    expect(readFileSync(file, 'utf8')).toBe('{oops');
  });

  it('removes an entry (Docker Hub under any of its names) and says whether there was one', () => {
    const file = write('auth.json', { auths: { 'r.io': auth('u', 'p'), 'https://index.docker.io/v1/': auth('h', 'p'), 'q.io': auth('q', 'q') } });
    expect(removeLogin('r.io', file)).toBe(true);
    expect(removeLogin('r.io', file)).toBe(false);
    expect(removeLogin('docker.io', file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ auths: { 'q.io': auth('q', 'q') } });
    expect(removeLogin('r.io', path.join(home, 'none.json'))).toBe(false);
    expect(existsSync(path.join(home, 'none.json'))).toBe(false);
  });
});
