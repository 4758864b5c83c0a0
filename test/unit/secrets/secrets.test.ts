import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BundleFile, Env, Plugin } from '../../../src/engine/types.js';
import type { CtnrError } from '../../../src/engine/errors.js';
import { parseTopLevelEntry } from '../../../src/compose/secrets.js';
import { mapId, secretsPlugin } from '../../../plugins/mounts/secrets.js';
import { configsPlugin } from '../../../plugins/mounts/configs.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { testPlugin } from '../../../src/plugin-kit/index.js';
import { loadServiceYaml } from '../../helpers/engine.js';
import { idMappings, mountAt, ownFiles, PROJECT_DIR, runCompose, runPlugin } from './compose.js';

const DB_FILE = path.join(PROJECT_DIR, 'db_password.txt');
const CONF_FILE = path.join(PROJECT_DIR, 'app.conf');
const RO = ['bind', 'rprivate', 'ro', 'nosuid', 'nodev', 'noexec'];

const TOP = {
  secrets: {
    db_password: { file: './db_password.txt' },
    token: { environment: 'TOKEN' },
    'odd name/x': { file: 'db_password.txt' },
  },
  configs: {
    app: { file: 'app.conf' },
    inline: { content: 'port=${PORT:-80}\n' },
    from_env: { environment: 'APP_CONFIG' },
  },
};
const ENVIRONMENT = { TOKEN: 'tok-value', APP_CONFIG: 'a=1', PORT: '8080' };

type FileWithoutPlugin = Omit<BundleFile, 'plugin'>;
const strip = (f: BundleFile & { plugin?: string }) => {
  const { plugin: _plugin, ...rest } = f;
  return rest as FileWithoutPlugin;
};
/** The plugin that owns a service's `secrets:` or `configs:`. */
const pluginFor = (service: Record<string, unknown>): Plugin => ('configs' in service ? configsPlugin() : secretsPlugin());
const spec = (r: { spec: unknown }) => ({ spec: r.spec }) as never;
const SHM = createBaseSpec().mounts!.findIndex((m) => m.destination === '/dev/shm');

describe('ctnr:secrets and ctnr:configs: short and long syntax, defaults', () => {
  it.each([
    {
      name: 'short secret from a file: /run/secrets/<name>, 0444 root, copied (never the host path)',
      service: { secrets: ['db_password'] },
      dest: '/run/secrets/db_password',
      file: { path: 'secrets/db_password', copyFrom: DB_FILE, mode: 0o444, uid: 0, gid: 0, secret: true },
    },
    {
      name: 'short secret from the environment: the value is the bundle file content',
      service: { secrets: ['token'] },
      dest: '/run/secrets/token',
      file: { path: 'secrets/token', content: 'tok-value', mode: 0o444, uid: 0, gid: 0, secret: true },
    },
    {
      name: 'long secret, relative target under /run/secrets, uid/gid/mode',
      service: { secrets: [{ source: 'token', target: 'api/token', uid: '1000', gid: 1001, mode: '0400' }] },
      dest: '/run/secrets/api/token',
      file: { path: 'secrets/token', content: 'tok-value', mode: 0o400, uid: 1000, gid: 1001, secret: true },
    },
    {
      name: 'long secret, absolute target',
      service: { secrets: [{ source: 'db_password', target: '/etc/db/pw', mode: 0o440 }] },
      dest: '/etc/db/pw',
      file: { path: 'secrets/db_password', copyFrom: DB_FILE, mode: 0o440, uid: 0, gid: 0, secret: true },
    },
    {
      name: 'a source name that is not a file name is made one in the bundle',
      service: { secrets: ['odd name/x'] },
      dest: '/run/secrets/odd name/x',
      file: { path: 'secrets/odd_name_x', copyFrom: DB_FILE, mode: 0o444, uid: 0, gid: 0, secret: true },
    },
    {
      name: 'short config from a file: /<name>, not secret',
      service: { configs: ['app'] },
      dest: '/app',
      file: { path: 'configs/app', copyFrom: CONF_FILE, mode: 0o444, uid: 0, gid: 0 },
    },
    {
      name: 'config with inline content, interpolated by the loader, at a custom target',
      service: { configs: [{ source: 'inline', target: '/etc/app/app.conf', uid: '1000', mode: '0400' }] },
      dest: '/etc/app/app.conf',
      file: { path: 'configs/inline', content: 'port=8080\n', mode: 0o400, uid: 1000, gid: 0 },
    },
    {
      name: 'config from the environment, relative target from the root',
      service: { configs: [{ source: 'from_env', target: 'etc/a.env' }] },
      dest: '/etc/a.env',
      file: { path: 'configs/from_env', content: 'a=1', mode: 0o444, uid: 0, gid: 0 },
    },
  ])('$name', async ({ service, dest, file }) => {
    const r = await runPlugin(pluginFor(service), service, TOP, { environment: ENVIRONMENT });
    const mount = { destination: dest, type: 'bind', source: file.path, options: RO };
    expect(r.ops).toEqual([{ op: 'add', path: '/mounts/-', value: mount }]);
    expect(mountAt(spec(r), dest)).toEqual(mount);
    expect(r.files.map(strip)).toEqual([file]);
    expect(r.files[0]!.plugin).toBe(file.secret ? 'ctnr:secrets' : 'ctnr:configs');
  });

  it('the same source twice gets two bundle files (each with its own owner and mode)', async () => {
    const r = await runPlugin(secretsPlugin(), { secrets: ['token', { source: 'token', target: '/t2', uid: '5', mode: 0o400 }] }, TOP, { environment: ENVIRONMENT });
    expect(r.files.map((f) => [f.path, f.uid, f.mode])).toEqual([['secrets/token', 0, 0o444], ['secrets/token-2', 5, 0o400]]);
    expect(mountAt(spec(r), '/t2')?.source).toBe('secrets/token-2');
    expect(mountAt(spec(r), '/run/secrets/token')?.source).toBe('secrets/token');
  });

  it.each([
    { plugin: secretsPlugin(), service: { secrets: ['db_password', 'token'] }, sources: ['secrets/db_password', 'secrets/token'] },
    { plugin: configsPlugin(), service: { configs: ['inline', 'from_env'] }, sources: ['configs/inline', 'configs/from_env'] },
  ])('$plugin.name: ops carry bundle paths only, never a value', async ({ plugin, service, sources }) => {
    const r = await runPlugin(plugin, service, TOP, { environment: ENVIRONMENT });
    expect(r.ops.map((o) => (o as { value: { source: string } }).value.source)).toEqual(sources);
    for (const value of ['tok-value', 'a=1', 'port=']) {
      expect(JSON.stringify(r.ops)).not.toContain(value);
      expect(JSON.stringify(r.spec)).not.toContain(value);
    }
  });

  it('an environment: secret reads the variables of the load (the .env layer included), not the engine process', async () => {
    const before = process.env.TOKEN;
    process.env.TOKEN = 'from-process';
    try {
      const r = await runPlugin(secretsPlugin(), { secrets: ['token'] }, TOP, { environment: { TOKEN: 'from-load' } });
      expect(r.files[0]!.content).toBe('from-load');
    } finally {
      if (before === undefined) delete process.env.TOKEN;
      else process.env.TOKEN = before;
    }
  });

  it('without env.environment (API use) the process environment is read', async () => {
    const project = { secrets: { token: { environment: 'CTNR_TEST_SECRET_X' } } };
    process.env.CTNR_TEST_SECRET_X = 'proc-value';
    try {
      const r = await testPlugin(secretsPlugin(), { service: { secrets: [{ source: 'token' }] } as never, project });
      expect(r.files[0]!.content).toBe('proc-value');
    } finally {
      delete process.env.CTNR_TEST_SECRET_X;
    }
  });

  it('a secret replaces an engine mount at the same destination instead of stacking on it', async () => {
    const r = await runPlugin(secretsPlugin(), { secrets: [{ source: 'token', target: '/dev/shm' }] }, TOP, { environment: ENVIRONMENT });
    expect(r.ops).toEqual([{ op: 'replace', path: `/mounts/${SHM}`, value: { destination: '/dev/shm', type: 'bind', source: 'secrets/token', options: RO } }]);
    expect(r.spec!.mounts!.filter((m) => m.destination === '/dev/shm')).toHaveLength(1);
    expect(mountAt(spec(r), '/dev/shm')?.source).toBe('secrets/token');
  });
});

describe('owners when rootless: host ids that map to the requested container ids', () => {
  const rootless = (uid: number, gid = uid): Partial<Env> => ({ rootless: true, uid, gid });

  it.each([
    {
      name: 'default owner is the mapped root (single mapping written by the rootless stage)',
      ref: 'token',
      env: rootless(1000),
      spec: idMappings([[0, 1000, 1]]),
      owner: [1000, 1000],
    },
    {
      name: 'no mappings in the spec: ctnr\'s rootless default (container root = the user)',
      ref: 'token',
      env: rootless(1234, 4321),
      spec: undefined,
      owner: [1234, 4321],
    },
    {
      name: 'root generating for a user namespace with a range: uid 1000 → 101000',
      ref: { source: 'token', uid: '1000', gid: '1000' },
      env: { rootless: true, uid: 0, gid: 0 },
      spec: idMappings([[0, 100000, 65536]]),
      owner: [101000, 101000],
    },
    {
      name: 'rootless user with subordinate ids: container root is still the user',
      ref: { source: 'token', uid: '0' },
      env: rootless(1000),
      spec: idMappings([[0, 1000, 1], [1, 100000, 65536]]),
      owner: [1000, 1000],
    },
    {
      name: 'not rootless: container ids are host ids',
      ref: { source: 'token', uid: '33', gid: '44' },
      env: {},
      spec: undefined,
      owner: [33, 44],
    },
  ])('$name', async ({ ref, env, spec, owner }) => {
    const r = await runPlugin(secretsPlugin(), { secrets: [ref] }, TOP, { environment: ENVIRONMENT, env, ...(spec ? { spec } : {}) });
    expect(r.errors).toEqual([]);
    expect([r.files[0]!.uid, r.files[0]!.gid]).toEqual(owner);
  });

  it.each([
    { name: 'an id outside the mappings', env: rootless(1000), spec: idMappings([[0, 1000, 1]]), msg: /uid 1000 is not mapped into the container's user namespace/ },
    { name: 'an id mapped to a subordinate host id the user cannot chown to', env: rootless(1000), spec: idMappings([[0, 1000, 1], [1, 100000, 65536]]), msg: /uid 1000 maps to host uid 100999; rootless, ctnr can only create files owned by uid 1000 \(container uid 0\)/ },
  ])('refused: $name', async ({ env, spec, msg }) => {
    const { errors } = await runPlugin(secretsPlugin(), { secrets: [{ source: 'token', uid: '1000' }] }, TOP, { environment: ENVIRONMENT, env, spec });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:secrets', path: 'services.svc.secrets[0].uid', message: expect.stringMatching(msg) }]);
  });

  it('mapId', () => {
    const m = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
    expect([mapId(0, m), mapId(1, m), mapId(65536, m), mapId(65537, m)]).toEqual([1000, 100000, 165535, undefined]);
  });
});

describe('errors: located, naming the entry, never the value', () => {
  it.each([
    {
      name: 'external secret',
      service: { secrets: ['vault'] },
      top: { secrets: { vault: { external: true } } },
      path: 'services.svc.secrets[0]',
      msg: /top-level secrets\.vault is external: ctnr has no secret store.*"file:" or "environment:"/,
    },
    {
      name: 'external secret with a name',
      service: { secrets: ['vault'] },
      top: { secrets: { vault: { external: { name: 'prod_vault' } } } },
      path: 'services.svc.secrets[0]',
      msg: /is external/,
    },
    {
      name: 'external config',
      service: { configs: ['c'] },
      top: { configs: { c: { external: true } } },
      path: 'services.svc.configs[0]',
      msg: /top-level configs\.c is external: ctnr has no config store/,
    },
    {
      name: 'missing file',
      service: { secrets: ['gone'] },
      top: { secrets: { gone: { file: './nope.txt' } } },
      path: 'services.svc.secrets[0]',
      msg: new RegExp(`secret "gone": file ${path.join(PROJECT_DIR, 'nope.txt').replace(/[/.]/g, '\\$&')} does not exist`),
    },
    {
      name: 'file is a directory',
      service: { configs: ['d'] },
      top: { configs: { d: { file: 'adir' } } },
      path: 'services.svc.configs[0]',
      msg: /config "d": file .*adir is not a regular file/,
    },
    {
      name: 'unset environment variable',
      service: { secrets: ['token'] },
      top: TOP,
      env: {},
      path: 'services.svc.secrets[0]',
      msg: /secret "token": environment variable TOKEN is not set/,
    },
    {
      name: 'inline content on a secret',
      service: { secrets: ['s'] },
      top: { secrets: { s: { content: 'hunter2' } } },
      path: 'services.svc.secrets[0]',
      msg: /top-level secrets\.s: unknown key "content" \(inline content is for configs/,
    },
    {
      name: 'two sources',
      service: { secrets: ['s'] },
      top: { secrets: { s: { file: 'db_password.txt', environment: 'TOKEN' } } },
      path: 'services.svc.secrets[0]',
      msg: /"file" and "environment" exclude each other/,
    },
    {
      name: 'no source',
      service: { configs: ['c'] },
      top: { configs: { c: { labels: { a: 'b' } } } },
      path: 'services.svc.configs[0]',
      msg: /top-level configs\.c needs "file", "environment" or "content"/,
    },
    {
      name: 'a swarm driver',
      service: { secrets: ['s'] },
      top: { secrets: { s: { driver: 'vault', file: 'db_password.txt' } } },
      path: 'services.svc.secrets[0]',
      msg: /secret drivers belong to a swarm secret store/,
    },
    {
      name: 'a non-numeric uid',
      service: { secrets: [{ source: 'db_password', uid: 'app' }] },
      top: TOP,
      path: 'services.svc.secrets[0].uid',
      msg: /uid "app" must be a numeric id/,
    },
    {
      name: 'a relative target that leaves /run/secrets',
      service: { secrets: [{ source: 'db_password', target: '../../etc/shadow' }] },
      top: TOP,
      path: 'services.svc.secrets[0].target',
      msg: /target "..\/..\/etc\/shadow" must stay inside \/run\/secrets/,
    },
    {
      name: 'a config target that is the root',
      service: { configs: [{ source: 'app', target: '/' }] },
      top: TOP,
      path: 'services.svc.configs[0].target',
      msg: /target "\/" must name a file, not the root/,
    },
    {
      name: 'a mode out of range',
      service: { secrets: [{ source: 'db_password', mode: 0o17777 }] },
      top: TOP,
      path: 'services.svc.secrets[0].mode',
      msg: /mode 8191 is not a file mode/,
    },
    {
      name: 'a secret on a volume target',
      service: { secrets: [{ source: 'db_password', target: '/data' }], volumes: [{ type: 'tmpfs', target: '/data' }] },
      top: TOP,
      path: 'services.svc.secrets[0]',
      msg: /duplicate mount point \/data \(also volumes\[0\]\)/,
    },
    {
      name: 'a config on a secret target',
      service: { secrets: ['db_password'], configs: [{ source: 'app', target: '/run/secrets/db_password' }] },
      top: TOP,
      path: 'services.svc.configs[0]',
      msg: /duplicate mount point \/run\/secrets\/db_password \(also secrets\[0\]\)/,
    },
    {
      name: 'two secrets on one target',
      service: { secrets: ['db_password', { source: 'token', target: 'db_password' }] },
      top: TOP,
      path: 'services.svc.secrets[1]',
      msg: /duplicate mount point \/run\/secrets\/db_password \(also secrets\[0\]\)/,
    },
  ])('$name', async ({ service, top, env, path: at, msg }) => {
    const plugin = pluginFor(service);
    const { errors, files } = await runPlugin(plugin, service, top, { environment: env ?? ENVIRONMENT });
    expect(errors).toHaveLength(1);
    const err = errors[0]!;
    expect(err.code).toBe('SERVICE_INVALID');
    expect(err.plugin).toBe(plugin.name);
    expect(err.path).toBe(at);
    expect(err.message).toMatch(msg);
    expect(err.location?.file).toBe('compose.yaml');
    expect(err.location?.line).toBeGreaterThan(0);
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('tok-value');
    expect(files).toEqual([]);
  });

  // The loader checks references before any plugin runs.
  it.each([
    { name: 'unknown secret (with a suggestion)', service: { secrets: ['db_pasword'] }, path: 'services.svc.secrets[0]', msg: /secret "db_pasword" is not declared in the top-level "secrets:" table.*db_password/ },
    { name: 'unknown config', service: { configs: [{ source: 'nope' }] }, path: 'services.svc.configs[0]', msg: /config "nope" is not declared in the top-level "configs:" table/ },
  ])('the loader: $name', ({ service, path: at, msg }) => {
    let err: CtnrError | undefined;
    try {
      loadServiceYaml(service, { dir: PROJECT_DIR, top: TOP, environment: ENVIRONMENT });
    } catch (e) {
      err = e as CtnrError;
    }
    expect(err).toMatchObject({ code: 'SERVICE_INVALID', path: at, message: expect.stringMatching(msg), location: { file: 'compose.yaml', line: expect.any(Number) } });
    expect(err!.location!.line).toBeGreaterThan(0);
  });

  it('an unknown name given through the API (no loader) is the plugin\'s own located error', async () => {
    const { errors } = await testPlugin(secretsPlugin(), { service: { secrets: [{ source: 'tokn' }] } as never, project: { secrets: { token: { environment: 'X' } } } });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:secrets', path: 'services.svc.secrets[0]', message: expect.stringMatching(/secret "tokn" is not declared.*did you mean "token"/) }]);
  });

  it('a failing entry fails the service with every error, and declares no file', async () => {
    const { errors, files } = await runPlugin(secretsPlugin(), { secrets: ['token', { source: 'db_password', uid: 'x' }, { source: 'db_password', mode: 0o77777 }] }, TOP, { environment: {} });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/TOKEN is not set/);
    expect(errors[0]!.details).toHaveLength(2);
    expect(files).toEqual([]);
  });
});

// What only the pipeline shows: the trace of both plugins, and ctnr:mount-order placing a secret under the
// user's tmpfs.
describe('pipeline: ctnr:secrets and ctnr:configs with the rest of the mounts stage', () => {
  it('secrets and configs together: ops carry bundle paths only, the trace names the plugins', async () => {
    const r = await runCompose({ secrets: ['db_password', 'token'], configs: ['inline'] }, TOP, { environment: ENVIRONMENT });
    const traced = r.trace.filter((t) => t.plugin === 'ctnr:secrets' || t.plugin === 'ctnr:configs');
    expect(traced.map((t) => [t.plugin, (t.op as { value: { source: string } }).value.source])).toEqual([
      ['ctnr:secrets', 'secrets/db_password'],
      ['ctnr:secrets', 'secrets/token'],
      ['ctnr:configs', 'configs/inline'],
    ]);
    expect(ownFiles(r).map((f) => f.path)).toEqual(['configs/inline', 'secrets/db_password', 'secrets/token']);
    expect(JSON.stringify(r.trace)).not.toContain('tok-value');
    expect(JSON.stringify(r.spec)).not.toContain('tok-value');
  });

  it('a secret under a tmpfs volume is mounted after it (mount order)', async () => {
    const r = await runCompose({ secrets: ['token'], tmpfs: ['/run'] }, TOP, { environment: ENVIRONMENT });
    const dests = r.spec.mounts!.map((m) => m.destination);
    expect(dests.indexOf('/run')).toBeGreaterThanOrEqual(0);
    expect(dests.indexOf('/run/secrets/token')).toBeGreaterThan(dests.indexOf('/run'));
  });
});

describe('parseTopLevelEntry', () => {
  it.each([
    { kind: 'secret' as const, raw: { file: 'x' }, expected: { ok: true, origin: { from: 'file', file: '/p/x' } } },
    { kind: 'secret' as const, raw: { file: '/abs/x', name: 'n', labels: ['a=b'] }, expected: { ok: true, origin: { from: 'file', file: '/abs/x' } } },
    { kind: 'secret' as const, raw: { environment: 'V', external: false }, expected: { ok: true, origin: { from: 'environment', variable: 'V' } } },
    { kind: 'config' as const, raw: { content: '' }, expected: { ok: true, origin: { from: 'content', content: '' } } },
    { kind: 'secret' as const, raw: 'x', expected: { ok: false, message: 'top-level secrets.k must be a mapping with "file" or "environment"' } },
    { kind: 'secret' as const, raw: null, expected: { ok: false, message: 'top-level secrets.k must be a mapping with "file" or "environment"' } },
    { kind: 'config' as const, raw: { file: 3 }, expected: { ok: false, key: 'file', message: expect.stringMatching(/^top-level configs\.k\.file: expected string/) } },
    { kind: 'config' as const, raw: { template_driver: 'golang', content: 'x' }, expected: { ok: false, key: 'template_driver', message: expect.stringMatching(/template drivers are not supported/) } },
  ])('$kind $raw', ({ kind, raw, expected }) => {
    expect(parseTopLevelEntry(kind, 'k', raw, '/p')).toEqual(expected);
  });

  it('a type error on a secret never echoes the value', () => {
    const r = parseTopLevelEntry('secret', 'k', { environment: 123456789 }, '/p');
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain('123456789');
  });
});
