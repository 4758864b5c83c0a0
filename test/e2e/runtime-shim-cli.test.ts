import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, which } from '../helpers/runc.js';
import { IN_CI, REPO } from '../helpers/shared.js';
import { expectValidSpec } from '../helpers/schema.js';
import { facts, PROBE, SHIM } from './runtime-shim-helpers.js';
import { defaultSeccomp } from '../../src/linux/seccomp/default.js';

/**
 * bin/ctnr-runtime.mjs as an engine runs it: with a fake runtime that reports what it was given (arguments,
 * pid, environment, an inherited descriptor), then with runc itself.
 */

const built = existsSync(path.join(REPO, 'dist/ctnr-runtime.mjs'));
if (!built && IN_CI) throw new Error('dist/ctnr-runtime.mjs missing in CI (npm test builds it)');

let dir: string;
let fake: string;
let report: string;
let runDir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-shim-cli-'));
  runDir = path.join(dir, 'run');
  mkdirSync(runDir, { mode: 0o700 });
  report = path.join(dir, 'report');
  fake = path.join(dir, 'fake-runtime');
  // Reports its arguments (one per line), pid and a marker variable; writes to fd 3 when open; exits FAKE_EXIT.
  writeFileSync(fake, [
    '#!/bin/sh',
    `printf '%s\\n' "$@" > '${report}.args'`,
    `echo "$$" > '${report}.pid'`,
    `echo "\${SHIM_MARKER:-}" > '${report}.env'`,
    '{ echo "through fd 3" >&3; } 2>/dev/null',
    'echo "runtime stdout"; echo "runtime stderr" >&2',
    'exit "${FAKE_EXIT:-0}"',
  ].join('\n') + '\n');
  chmodSync(fake, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, content: object | string): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** Run the shim with stdio pipes plus a pipe as fd 3; resolve with what came back on each and the child's pid. */
function shim(args: readonly string[], env: Record<string, string | undefined>, viaNode = false): Promise<{ status: number | null; stdout: string; stderr: string; fd3: string; pid: number }> {
  return new Promise((resolve) => {
    const cmd = viaNode ? process.execPath : SHIM;
    const argv = viaNode ? ['--', SHIM, ...args] : [...args];
    // Its own runtime directory: the handover cache of these tests stays out of /run/ctnr.
    const child = spawn(cmd, argv, { env: { PATH: process.env.PATH, XDG_RUNTIME_DIR: runDir, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let fd3 = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d) => (fd3 += d));
    child.on('close', (status) => resolve({ status, stdout, stderr, fd3, pid: child.pid! }));
  });
}

const clear = () => rmSync(`${report}.args`, { force: true });
const ran = () => existsSync(`${report}.args`);

describe.skipIf(!built)('ctnr-runtime hands over unchanged', () => {
  const argvs = [
    ['--root', '/run/x', '--log', '/dev/null', '--log-format=json', 'state', 'some id with spaces'],
    ['kill', 'c1', 'SIGTERM'],
    // (with --process, the exec's process is judged first: test/unit/runtime-shim/exec.test.ts and the podman e2e)
    ['exec', '--detach', '--cwd', '/', 'c1', 'true'],
    ['--version'],
    ['features'],
  ];

  it.each(argvs)('with a config naming the runtime: %s …', async (...argv) => {
    clear();
    const cfg = config('pass.json', { presets: ['baseline'], runtime: fake });
    const r = await shim(argv, { CTNR_RUNTIME_CONFIG: cfg, SHIM_MARKER: 'kept', FAKE_EXIT: '3' });
    expect(readFileSync(`${report}.args`, 'utf8')).toBe(argv.map((a) => a + '\n').join(''));
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('runtime stdout\n');
    expect(r.stderr).toBe('runtime stderr\n');
    expect(r.fd3).toBe('through fd 3\n');
    expect(readFileSync(`${report}.env`, 'utf8').trim()).toBe('kept');
    // exec'd, not spawned: the runtime is the process the engine started
    expect(Number(readFileSync(`${report}.pid`, 'utf8'))).toBe(r.pid);
  });

  it('started as `node bin/ctnr-runtime.mjs`: the runtime runs as a child, same arguments, stdio, descriptors, status', async () => {
    clear();
    const cfg = config('pass.json', { presets: ['baseline'], runtime: fake });
    const argv = ['exec', '--preserve-fds', '1', 'c1', 'true'];
    const r = await shim(argv, { CTNR_RUNTIME_CONFIG: cfg, FAKE_EXIT: '5' }, true);
    expect(readFileSync(`${report}.args`, 'utf8')).toBe('exec\n--preserve-fds\n1\nc1\ntrue\n');
    expect(r.status).toBe(5);
    expect(r.stdout).toBe('runtime stdout\n');
    expect(r.fd3).toBe('through fd 3\n');
  });

  it('create: the pipeline runs, then the runtime gets the original arguments', async () => {
    clear();
    const bundle = path.join(dir, 'bundle-pass');
    mkdirSync(bundle, { recursive: true });
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'] }, root: { path: 'rootfs' } }));
    const cfg = config('annotate.mjs', `export default ({ op }) => ({ plugins: [{ name: 'acme:mark', stage: 'annotations', anySpec: true, apply: ({ spec }) => [op.annotation('com.acme/seen', 'yes', spec)] }], runtime: ${JSON.stringify(fake)} });`);
    const argv = ['--log', path.join(dir, 'log.json'), '--log-format', 'json', 'create', '--bundle', bundle, '--pid-file', path.join(dir, 'pid'), 'c2'];
    const r = await shim(argv, { CTNR_RUNTIME_CONFIG: cfg });
    expect(r.stderr).toBe('runtime stderr\n');
    expect(r.status).toBe(0);
    expect(readFileSync(`${report}.args`, 'utf8')).toBe(argv.map((a) => a + '\n').join(''));
    expect(JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')).annotations).toEqual({ 'com.acme/seen': 'yes' });
    expect(JSON.parse(readFileSync(path.join(bundle, 'ctnr-trace.json'), 'utf8')).trace[0]).toMatchObject({ plugin: 'acme:mark', stage: 'annotations', pointer: '/annotations' });
  });

  it('create refused: exit 1, the reason on stderr and in the JSON log, the runtime never runs', async () => {
    clear();
    const bundle = path.join(dir, 'bundle-refused');
    mkdirSync(bundle, { recursive: true });
    const spec = JSON.stringify({
      ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'] }, root: { path: 'rootfs' },
      linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'mount' }], resources: { devices: [{ allow: true, access: 'rwm' }] } },
    });
    writeFileSync(path.join(bundle, 'config.json'), spec);
    const log = path.join(dir, 'refused.json');
    const r = await shim(['--log', log, '--log-format', 'json', 'create', '--bundle', bundle, 'c3'], { CTNR_RUNTIME_CONFIG: config('b.json', { presets: ['baseline'], runtime: fake }) });
    expect(r.status).toBe(1);
    expect(ran()).toBe(false);
    expect(r.stderr).toContain('ctnr: policy baseline: privileged: privileged containers are not allowed (the device cgroup allows every device at /linux/resources/devices/0)\n');
    expect(readFileSync(path.join(bundle, 'config.json'), 'utf8')).toBe(spec);
    expect(existsSync(path.join(bundle, 'ctnr-trace.json'))).toBe(false);
    const entries = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(entries).toContainEqual({ level: 'error', time: expect.any(String), msg: expect.stringMatching(/^ctnr: policy baseline: privileged: privileged containers are not allowed/) });
  });

  it.each([
    { name: 'a config that does not parse', file: 'broken.json', content: '{\n  "presets": [}', message: /^ctnr: .*broken\.json:2:15 not valid JSON/ },
    { name: 'an unknown key', file: 'unknown.json', content: '{"presetz": []}', message: /^ctnr: .*unknown\.json: \(root\): Unrecognized key: "presetz"/ },
  ])('$name: create and state fail (closed) with the located error, the runtime never runs', async ({ file, content, message }) => {
    const cfg = config(file, content);
    for (const argv of [['create', '--bundle', dir, 'c4'], ['state', 'c4']]) {
      clear();
      const r = await shim(argv, { CTNR_RUNTIME_CONFIG: cfg });
      if (argv[0] === 'create' || file === 'broken.json') {
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(ran()).toBe(false);
      }
    }
  });

  it('CTNR_RUNTIME_CONFIG naming a missing file fails closed', async () => {
    clear();
    const r = await shim(['create', 'c5'], { CTNR_RUNTIME_CONFIG: path.join(dir, 'missing.json') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ctnr: .*missing\.json: CTNR_RUNTIME_CONFIG names .* which does not exist/);
  });
});

describe.skipIf(!built)('the handover cache: commands that only hand over skip node', () => {
  it('state: node once, then the remembered runtime until the config changes; create always runs the pipeline', async () => {
    rmSync(path.join(runDir, 'ctnr'), { recursive: true, force: true });
    const cfg = config('cached.mjs', `export default { runtime: ${JSON.stringify(fake)} };`);
    const debug = { CTNR_RUNTIME_CONFIG: cfg, CTNR_RUNTIME_DEBUG: '1' };
    const first = await shim(['--root', '/r', 'state', 'c8'], debug);
    expect(first.stderr).toMatch(/^ctnr-runtime: config .*cached\.mjs: node/);
    expect(readFileSync(path.join(runDir, 'ctnr/runtime-handover'), 'utf8')).toBe(`${cfg}\n${fake}\n`);
    clear();
    const second = await shim(['--root', '/r', 'state', 'c8'], debug);
    expect(second.stderr).toBe(`ctnr-runtime: config ${cfg}: exec ${fake} (remembered)\nruntime stderr\n`);
    expect(readFileSync(`${report}.args`, 'utf8')).toBe('--root\n/r\nstate\nc8\n');
    expect(Number(readFileSync(`${report}.pid`, 'utf8'))).toBe(second.pid);
    // a changed config is read again
    writeFileSync(cfg, `export default { runtime: ${JSON.stringify(fake)} }; // edited`);
    expect((await shim(['state', 'c8'], debug)).stderr).toMatch(/^ctnr-runtime: config .*: node/);
    // create and run never take the cache
    const bundle = path.join(dir, 'bundle-cached');
    mkdirSync(bundle, { recursive: true });
    writeFileSync(path.join(bundle, 'config.json'), '{"ociVersion":"1.0.2"}');
    for (const command of ['create', 'run']) {
      const r = await shim(['--log-format', 'json', command, '--bundle', bundle, 'c8'], debug);
      expect(r.stderr).toMatch(/^ctnr-runtime: config .*: node/);
    }
    // a cache naming another config is not used
    writeFileSync(path.join(runDir, 'ctnr/runtime-handover'), `/elsewhere/runtime.config.json\n${fake}\n`);
    expect((await shim(['state', 'c8'], debug)).stderr).toMatch(/^ctnr-runtime: config .*: node/);
  });

  it('a subcommand that cannot be told (an unknown global option took a value before create) is refused', async () => {
    clear();
    const r = await shim(['--frobnicate', 'x', 'create', '--bundle', dir, 'c9'], { CTNR_RUNTIME_CONFIG: config('any.json', { runtime: fake }) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ctnr: cannot tell the subcommand: "x" is not one, and a later argument is create or run');
    expect(ran()).toBe(false);
  });
});

const hasSnapshot = existsSync(path.join(REPO, 'dist/ctnr-runtime.blob'));
if (built && !hasSnapshot && IN_CI) throw new Error('dist/ctnr-runtime.blob missing in CI (npm run build makes it)');

describe.skipIf(!hasSnapshot)('the startup snapshot (JSON, YAML and .mjs configs)', () => {
  // scripts/bundle-cli.mjs falls back to the blob as node wrote it (rehashing at every start, node's whole code
  // cache) when it does not know the blob's layout: a create still works, some 10 ms slower. CI's node is the one
  // the build knows, so there a fallback is a failure, not a warning nobody reads.
  it.skipIf(!IN_CI)('is the finished blob: started without rehashing, without the code cache node would rebuild', () => {
    const flags = readFileSync(path.join(REPO, 'dist/ctnr-runtime.blob.node'), 'utf8').split('\n')[2]!.split(' ');
    expect(flags).toEqual(['--no-sparkplug', '--no-rehash-snapshot']);
    expect(statSync(path.join(REPO, 'dist/ctnr-runtime.blob')).size).toBeLessThan(4_500_000);
  });

  it.each([
    { config: 'snap.json', content: JSON.stringify({ presets: ['baseline'], runtime: 'FAKE' }), path: 'node from the startup snapshot' },
    { config: 'snap.yaml', content: 'presets: [baseline]\nruntime: FAKE\n', path: 'node from the startup snapshot' },
    { config: 'snap.mjs', content: 'export default ({ baselinePreset }) => ({ presets: [baselinePreset()], runtime: "FAKE" });', path: 'node from the startup snapshot' },
    { config: 'snap.ts', content: 'export default { presets: ["baseline"], runtime: "FAKE" } as const;', path: 'node' },
    { config: 'tla.mjs', content: 'const runtime = await Promise.resolve("FAKE"); export default { presets: ["baseline"], runtime };', path: 'node from the startup snapshot', fails: true },
  ])('$config: $path, same result', async ({ config: name, content, path: how, fails }) => {
    const cfg = config(name, content.replace('FAKE', fake));
    clear();
    const state = await shim(['state', 'c6'], { CTNR_RUNTIME_CONFIG: cfg, CTNR_RUNTIME_DEBUG: '1' });
    if (fails) {
      // top-level await needs import(), which a snapshot does not have: a located error, never a guess
      expect(state.stderr).toBe(`ctnr-runtime: config ${cfg}: ${how}\nctnr: ${cfg}: uses top-level await, which ctnr-runtime cannot load from its startup snapshot: await inside the exported function instead\n`);
      expect(state.status).toBe(1);
      expect(ran()).toBe(false);
      return;
    }
    expect(state.stderr).toBe(`ctnr-runtime: config ${cfg}: ${how.trim()}\nruntime stderr\n`);
    expect(ran()).toBe(true);
    // a refusal from the snapshot reads the same
    const bundle = path.join(dir, `bundle-${name}`);
    mkdirSync(bundle, { recursive: true });
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'] }, root: { path: 'rootfs' }, linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }], seccomp: { defaultAction: 'SCMP_ACT_ERRNO' } }, mounts: [{ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['rw'] }] }));
    clear();
    const refused = await shim(['create', '--bundle', bundle, 'c6'], { CTNR_RUNTIME_CONFIG: cfg });
    expect(refused.status).toBe(1);
    expect(ran()).toBe(false);
    expect(refused.stderr).toMatch(/^ctnr: policy baseline: privileged: privileged containers are not allowed \(\/sys is mounted writable at \/mounts\/0\/options\)\nctnr: policy baseline: procMount:/);
  });

  it("create from the snapshot: the config and the runtime see the caller's environment (the malloc tunables were node's alone)", async () => {
    // A runtime that writes down its environment, and a config module that writes down the one it was loaded in.
    const envRuntime = path.join(dir, 'env-runtime');
    writeFileSync(envRuntime, `#!/bin/sh\nenv > '${report}.runtime-env'\n`);
    chmodSync(envRuntime, 0o755);
    const seen = path.join(dir, 'config-env.json');
    const cfg = config('env.mjs', `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(seen)}, JSON.stringify(process.env));\nexport default { runtime: ${JSON.stringify(envRuntime)} };`);
    const bundle = path.join(dir, 'bundle-env');
    mkdirSync(bundle, { recursive: true });
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'] }, root: { path: 'rootfs' } }));
    const tunables = (env: Record<string, string>) => Object.keys(env).filter((k) => k.startsWith('GLIBC_') || k === 'CTNR_RUNTIME_TUNABLES');
    const runtimeEnv = () => Object.fromEntries(readFileSync(`${report}.runtime-env`, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

    const plain = await shim(['create', '--bundle', bundle, 'c10'], { CTNR_RUNTIME_CONFIG: cfg, CTNR_RUNTIME_DEBUG: '1' });
    expect(plain.stderr).toBe(`ctnr-runtime: config ${cfg}: node from the startup snapshot\n`);
    expect(plain.status).toBe(0);
    expect(tunables(JSON.parse(readFileSync(seen, 'utf8')))).toEqual([]);
    expect(tunables(runtimeEnv())).toEqual([]);

    // the caller's own tunables: node runs with them, and they are passed on unchanged
    const own = await shim(['create', '--bundle', bundle, 'c10'], { CTNR_RUNTIME_CONFIG: cfg, GLIBC_TUNABLES: 'glibc.malloc.check=0' });
    expect(own.status).toBe(0);
    expect(JSON.parse(readFileSync(seen, 'utf8')).GLIBC_TUNABLES).toBe('glibc.malloc.check=0');
    expect(tunables(JSON.parse(readFileSync(seen, 'utf8')))).toEqual(['GLIBC_TUNABLES']);
    expect(runtimeEnv().GLIBC_TUNABLES).toBe('glibc.malloc.check=0');
    expect(tunables(runtimeEnv())).toEqual(['GLIBC_TUNABLES']);
  });

  it('started from the snapshot without the script (no handover descriptor): the runtime runs as its child, exit status passed on', () => {
    const [builtBy, , flags = ''] = readFileSync(path.join(REPO, 'dist/ctnr-runtime.blob.node'), 'utf8').split('\n');
    const cfg = config('direct.json', { presets: ['baseline'], runtime: fake });
    clear();
    const r = spawnSync(builtBy!, [...flags.split(' ').filter(Boolean), '--snapshot-blob', path.join(REPO, 'dist/ctnr-runtime.blob'), '--', 'state', 'c12'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, CTNR_RUNTIME_CONFIG: cfg, FAKE_EXIT: '3' },
    });
    expect([r.status, r.stdout, r.stderr]).toEqual([3, 'runtime stdout\n', 'runtime stderr\n']);
    expect(readFileSync(`${report}.args`, 'utf8')).toBe('state\nc12\n');
  });

  it('a snapshot built by another node is not used', async () => {
    // a copy of the package whose snapshot names another node binary
    const pkg = path.join(dir, 'pkg');
    mkdirSync(path.join(pkg, 'bin'), { recursive: true });
    mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    for (const f of ['ctnr-runtime.mjs', 'ctnr-runtime.sh']) writeFileSync(path.join(pkg, 'bin', f), readFileSync(path.join(REPO, 'bin', f)));
    chmodSync(path.join(pkg, 'bin/ctnr-runtime.mjs'), 0o755);
    for (const f of ['ctnr-runtime.mjs', 'runtime', 'ctnr-runtime.blob']) symlinkSync(path.join(REPO, 'dist', f), path.join(pkg, 'dist', f));
    writeFileSync(path.join(pkg, 'dist/ctnr-runtime.blob.node'), '/opt/other/node\nv0.0.0\n');
    const cfg = config('other.json', { presets: ['baseline'], runtime: fake });
    clear();
    const r = spawnSync(path.join(pkg, 'bin/ctnr-runtime.mjs'), ['state', 'c7'], { encoding: 'utf8', env: { PATH: process.env.PATH, CTNR_RUNTIME_CONFIG: cfg, CTNR_RUNTIME_DEBUG: '1' } });
    expect(r.stderr).toBe(`ctnr-runtime: config ${cfg}: node\nruntime stderr\n`);
    expect(ran()).toBe(true);
  });
});

describe.skipIf(!built || !e2eAvailable('runc'))('ctnr-runtime run under runc', () => {
  let rootfs: string;
  let cleanup: () => void;
  beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
  afterAll(() => cleanup?.());

  function bundle(name: string): string {
    const b = path.join(dir, name);
    mkdirSync(b, { recursive: true });
    const spec = spawnSync('runc', ['spec', '--bundle', b], { encoding: 'utf8' });
    expect(spec.status).toBe(0);
    const config = JSON.parse(readFileSync(path.join(b, 'config.json'), 'utf8'));
    config.root = { path: rootfs, readonly: true };
    // runc's template has no seccomp filter, which baseline refuses: ctnr's default profile, as an engine would add one.
    config.linux.seccomp = defaultSeccomp({ arch: 'amd64', bounding: config.process.capabilities.bounding, kernel: os.release() });
    config.process.terminal = false;
    config.process.args = ['/bin/sh', '-c', PROBE];
    writeFileSync(path.join(b, 'config.json'), JSON.stringify(config, null, '\t'));
    return b;
  }

  it('no config: the bundle is untouched and runc runs it', () => {
    const b = bundle('plain');
    const before = readFileSync(path.join(b, 'config.json'));
    const r = spawnSync(SHIM, ['run', '--bundle', b, `shim-plain-${process.pid}`], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('hello from the container');
    expect(readFileSync(path.join(b, 'config.json')).equals(before)).toBe(true);
  });

  it('restricted fix: `run` goes through the pipeline too; the container sees the fixes', () => {
    const b = bundle('fixed');
    const cfg = config('fix.mjs', `export default ({ restrictedPreset, op }) => ({
      presets: [restrictedPreset({ fix: true })],
      plugins: [{ name: 'acme:org', stage: 'process', anySpec: true, apply: ({ spec }) => [op.env('ORG', 'acme', spec)] }],
      policy: { exemptions: [{ service: 'shim-fixed-${process.pid}', control: 'runAsNonRoot', reason: 'busybox test rootfs' }] },
    });`);
    const r = spawnSync(SHIM, ['run', '--bundle', b, `shim-fixed-${process.pid}`], { encoding: 'utf8', env: { PATH: process.env.PATH, CTNR_RUNTIME_CONFIG: cfg }, timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const f = facts(r.stdout);
    expect(f).toMatchObject({ CapBnd: '0000000000000400', NoNewPrivs: '1', Seccomp: '2', ORG: 'acme' });
    const written = readFileSync(path.join(b, 'config.json'), 'utf8');
    expect(written.startsWith('{\n\t"ociVersion"')).toBe(true); // runc spec's tab indentation, kept
    expectValidSpec(JSON.parse(written));
    if (which('runc')) spawnSync('runc', ['delete', '--force', `shim-fixed-${process.pid}`], { stdio: 'ignore' });
  });
});
