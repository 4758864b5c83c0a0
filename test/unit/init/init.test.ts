import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initPlugin, INIT_DESTINATION } from '../../../plugins/process/init.js';
import { findInitBinary, INIT_NAMES } from '../../../src/linux/init/find.js';
import type { Env } from '../../../src/engine/types.js';
import type { Spec } from '../../../src/spec/types.js';
import { runServiceYaml, serviceError, testPluginYaml, type RunOptions } from '../../helpers/engine.js';
import { specWith } from '../../helpers/plugin-table-b.js';
import { DYNAMIC, STATIC, fakeElf, put } from './elf-fixtures.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-init-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** A fresh directory per case, so no case sees another's binaries. */
const dir = (name = 'd') => {
  const d = path.join(tmp, `${++n}-${name}`);
  mkdirSync(d, { recursive: true });
  return d;
};

// The machine's own PATH and libexec directories never take part: every case names its search path
// (`env.path`) and the plugin's extra directories (`dirs`, none by default here).
const init = (dirs: string[] = []) => initPlugin({ dirs });
/** In the default preset the plugin is swapped for one with no extra directories (a plugin listed again takes the new definition). */
const hermetic = (env: Partial<Env>, dirs: string[] = []): RunOptions => ({ env, plugins: [{ ...init(dirs), replace: true }] });
/** The spec ctnr:args leaves: `process.args` computed from the image and the service. */
const withArgs = (args: string[]): Spec => specWith((s) => (s.process!.args = args));
const APP = withArgs(['app']);

const bin = dir('bin');
const tini = put(bin, 'tini', STATIC());
const image = { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'] };
const initMount = { destination: INIT_DESTINATION, type: 'bind', source: tini, options: ['bind', 'ro', 'nosuid', 'nodev'] };

/** ctnr:init alone on `init: true` with args ['app']. */
const run = (env: Partial<Env>, options: { dirs?: string[]; dir?: string; service?: Record<string, unknown> } = {}) =>
  testPluginYaml(init(options.dirs), { init: true, command: ['app'], ...options.service }, { env, spec: APP, ...(options.dir ? { dir: options.dir } : {}) });
/** The host path bound as the init. */
const found = async (env: Partial<Env>, dirs: string[] = []) => {
  const r = await run(env, { dirs });
  expect(r.errors).toEqual([]);
  return r.spec!.mounts!.find((m) => m.destination === INIT_DESTINATION)!.source;
};
/** The one error ctnr:init failed the service with. */
const failure = async (env: Partial<Env>) => {
  const { errors } = await run(env);
  expect(errors).toHaveLength(1);
  return errors[0]!;
};

describe('ctnr:init: process.args and the bind mount', () => {
  it.each([
    { what: 'image entrypoint + cmd', args: ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'] },
    { what: 'one program', args: ['/bin/true'] },
    { what: 'args starting with -- are kept after the separator', args: ['--help'] },
  ])('$what: prefixed with the init and --', async ({ args }) => {
    const r = await testPluginYaml(init(), { init: true }, { env: { path: bin }, spec: withArgs(args) });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([
      { op: 'replace', path: '/process/args', value: [INIT_DESTINATION, '--', ...args] },
      { op: 'add', path: '/mounts/-', value: initMount },
    ]);
    expect(r.spec!.process!.args).toEqual([INIT_DESTINATION, '--', ...args]);
    expect(r.spec!.mounts!.filter((m) => m.destination === INIT_DESTINATION)).toEqual([initMount]);
  });

  it('a mount already on the destination is replaced, not stacked', async () => {
    const spec = specWith((s) => {
      s.process!.args = ['app'];
      s.mounts!.push({ destination: INIT_DESTINATION, type: 'bind', source: '/old', options: ['bind'] });
    });
    const r = await testPluginYaml(init(), { init: true }, { env: { path: bin }, spec });
    expect(r.ops[1]).toEqual({ op: 'replace', path: `/mounts/${spec.mounts!.length - 1}`, value: initMount });
    expect(r.spec!.mounts!.filter((m) => m.destination === INIT_DESTINATION)).toEqual([initMount]);
  });

  it.each([
    { what: 'init: false', service: { init: false } },
    { what: 'init absent', service: {} },
    { what: 'init: "false" (string form)', service: { init: 'false' } },
  ])('$what: no change', async ({ service }) => {
    const r = await testPluginYaml(init(), { command: ['app'], ...service }, { env: { path: bin }, spec: APP });
    expect(r.ops).toEqual([]);
    expect(r.spec!.process!.args).toEqual(['app']);
    expect(r.spec!.mounts!.some((m) => m.destination === INIT_DESTINATION)).toBe(false);
  });

  it.each(['host', 'container:abc', 'service:db'])('pid: %s: ignored with a warning (the init would not be pid 1)', async (pid) => {
    const r = await run({ path: bin }, { service: { pid } });
    expect(r.ops).toEqual([]);
    expect(r.spec!.process!.args).toEqual(['app']);
    expect(r.diagnostics).toMatchObject([{ level: 'warning', plugin: 'ctnr:init', path: 'services.svc.init', message: expect.stringMatching(new RegExp(`pid: ${pid}`)) }]);
  });

  it('nothing to run: no init, no error (ctnr:args-required reports it)', async () => {
    const r = await testPluginYaml(init(), { init: true, command: null }, { env: { path: bin } });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([]);
  });

  it('a destination option moves the binary', async () => {
    const r = await testPluginYaml(initPlugin({ dirs: [], destination: '/run/ctnr-init' }), { init: true, command: ['app'] }, { env: { path: bin }, spec: APP });
    expect(r.spec!.process!.args).toEqual(['/run/ctnr-init', '--', 'app']);
    expect(r.spec!.mounts).toContainEqual({ ...initMount, destination: '/run/ctnr-init' });
  });

  it.each([
    { options: { destination: 'sbin/init' }, message: /options\.destination: must be an absolute path/ },
    { options: { names: ['bin/tini'] }, message: /options\.names\[0\]: must be a file name/ },
    { options: { dirs: ['libexec'] }, message: /options\.dirs\[0\]: must be an absolute path/ },
  ])('bad option $options is a PLUGIN_OPTIONS error', ({ options, message }) => {
    expect(() => initPlugin(options)).toThrow(message);
  });
});

describe('ctnr:init: finding the binary', () => {

  it("Debian's layout: dynamic tini is skipped, tini-static from the same directory wins", async () => {
    const d = dir('debian');
    put(d, 'tini', DYNAMIC());
    const want = put(d, 'tini-static', STATIC());
    expect(await found({ path: d })).toBe(want);
  });

  it('PATH order decides between two static binaries of the same name', async () => {
    const a = dir('a');
    const b = dir('b');
    put(a, 'tini', STATIC());
    put(b, 'tini', STATIC());
    expect(await found({ path: `${b}:${a}` })).toBe(path.join(b, 'tini'));
  });

  it('name order beats PATH order (tini anywhere before catatonit)', async () => {
    const a = dir('a');
    const b = dir('b');
    put(a, 'catatonit', STATIC());
    put(b, 'tini', STATIC());
    expect(await found({ path: `${a}:${b}` })).toBe(path.join(b, 'tini'));
  });

  it.each(['catatonit', 'docker-init', 'tini-static'])('finds %s alone', async (name) => {
    const d = dir(name);
    const want = put(d, name, STATIC());
    expect(await found({ path: d })).toBe(want);
  });

  it('the names option changes what is looked for', async () => {
    const d = dir('names');
    put(d, 'tini', STATIC());
    const want = put(d, 'my-init', STATIC());
    const r = await testPluginYaml(initPlugin({ dirs: [], names: ['my-init'] }), { init: true, command: ['app'] }, { env: { path: d }, spec: APP });
    expect(r.spec!.mounts!.find((m) => m.destination === INIT_DESTINATION)!.source).toBe(want);
  });

  it('the libexec directories come after PATH', async () => {
    const p = dir('path');
    const libexec = dir('libexec');
    const want = put(libexec, 'docker-init', STATIC());
    expect(await found({ path: p }, [libexec])).toBe(want);
    const onPath = put(p, 'docker-init', STATIC());
    expect(await found({ path: p }, [libexec])).toBe(onPath);
  });

  it('relative and empty PATH entries are ignored (the result must not depend on the cwd)', () => {
    expect(findInitBinary({ searchPath: `::.:bin:${bin}`, dirs: [], arch: 'amd64' }).found).toBe(tini);
  });

  it('a symlink to a static binary is used by the path found', async () => {
    const d = dir('link');
    const target = put(dir('real'), 'tini-static', STATIC());
    symlinkSync(target, path.join(d, 'docker-init'));
    expect(await found({ path: d })).toBe(path.join(d, 'docker-init'));
  });

  it('the search list documents its order', () => {
    expect(INIT_NAMES).toEqual(['tini', 'tini-static', 'catatonit', 'docker-init']);
  });
});

describe('ctnr:init: errors', () => {
  const empty = dir('empty');

  it('no init anywhere: a located error suggesting tini-static and init.path', async () => {
    const err = await failure({ path: empty });
    expect(err.code).toBe('SERVICE_INVALID');
    expect(err.plugin).toBe('ctnr:init');
    expect(err.path).toBe('services.svc.init');
    expect(err.location?.line).toBeGreaterThan(1);
    expect(err.message).toBe('no init binary found; install tini-static or set init.path in ctnr.config.ts');
  });

  it('only unusable candidates: the error lists what was skipped and why', async () => {
    const d = dir('unusable');
    put(d, 'tini', DYNAMIC());
    put(d, 'catatonit', fakeElf({ machine: 183 }));
    put(d, 'docker-init', '#!/bin/sh\n');
    const err = await failure({ path: d });
    expect(err.path).toBe('services.svc.init');
    expect(err.message).toBe(
      'no init binary found; install tini-static or set init.path in ctnr.config.ts (skipped: ' +
        `${d}/tini is dynamically linked (interpreter /lib64/ld-linux-x86-64.so.2); ` +
        `${d}/catatonit is built for another architecture (ELF machine 183, target amd64); ` +
        `${d}/docker-init is not an ELF executable)`,
    );
  });

  it('the target arch is checked: an x86-64 tini does not serve an arm64 bundle', async () => {
    const err = await failure({ path: bin, arch: 'arm64' });
    expect(err.message).toMatch(/^no init binary found; .*ELF machine 62, target arm64/);
  });

  it('an explicit path wins over the search', async () => {
    const want = put(dir('explicit'), 'my-init', STATIC());
    expect(await found({ path: bin, initPath: want })).toBe(want);
  });

  it('an explicit relative path resolves against the compose file directory', async () => {
    const project = dir('project');
    const want = put(path.join(project, 'tools'), 'init', STATIC());
    const r = await run({ path: empty, initPath: 'tools/init' }, { dir: project });
    expect(r.spec!.mounts).toContainEqual({ ...initMount, source: want });
  });

  it('an explicit dynamic binary is refused, naming the path and the static package', async () => {
    const dyn = put(dir('dyn'), 'tini', DYNAMIC());
    const err = await failure({ path: bin, initPath: dyn });
    expect(err.path).toBe('services.svc.init');
    expect(err.plugin).toBe('ctnr:init');
    expect(err.message).toBe(
      `init binary ${dyn} is dynamically linked (interpreter /lib64/ld-linux-x86-64.so.2): the container's rootfs may lack the C library ` +
        'it links against; use a static build instead (Debian/Ubuntu: the tini-static package, /usr/bin/tini-static)',
    );
  });

  it('a real dynamic executable (a copy of /bin/ls) is refused too', async () => {
    const { copyFileSync } = await import('node:fs');
    const ls = path.join(dir('ls'), 'tini');
    copyFileSync('/bin/ls', ls);
    const err = await failure({ path: empty, initPath: ls });
    expect(err.message).toMatch(new RegExp(`^init binary ${ls} is dynamically linked \\(interpreter /lib.*ld.*\\).*tini-static`));
    // …and the search passes over it rather than binding it.
    const e2 = await failure({ path: path.dirname(ls) });
    expect(e2.message).toMatch(/^no init binary found; .*\(skipped: .*\/tini is dynamically linked/);
  });

  it.each([
    { what: 'missing', make: () => path.join(empty, 'nope'), message: 'does not exist' },
    { what: 'not executable', make: () => put(dir('x'), 'tini', STATIC(), 0o644), message: 'is not executable' },
    { what: 'a directory', make: () => dir('isdir'), message: 'is not a regular file' },
  ])('an explicit path that is $what is a located error', async ({ make, message }) => {
    const p = make();
    const err = await failure({ path: bin, initPath: p });
    expect(err.path).toBe('services.svc.init');
    expect(err.message).toBe(`init binary ${p} ${message}`);
  });

  it('an empty env.initPath is an error', async () => {
    const err = await failure({ path: bin, initPath: '' });
    expect(err.message).toMatch(/env\.initPath must be a non-empty path/);
  });

  it('init: false never looks for a binary (no error without one)', async () => {
    const r = await testPluginYaml(init(), { init: false, command: ['app'] }, { env: { path: empty, initPath: path.join(empty, 'nope') }, spec: APP });
    expect(r.errors).toEqual([]);
    expect(r.spec!.process!.args).toEqual(['app']);
  });
});

// What only the pipeline shows: ctnr:args computes the args ctnr:init prefixes (the trace shows both), the later
// stages (privileged, read_only, rootless) leave the init's mount alone, and ctnr:args-required still reports
// a service with nothing to run.
describe('pipeline: ctnr:init with ctnr:args and the later stages', () => {
  it.each([
    { what: 'image entrypoint + cmd', service: { command: null }, image, args: ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'] },
    { what: 'service command replaces the image cmd', service: { command: ['nginx', '-T'] }, image, args: ['/docker-entrypoint.sh', 'nginx', '-T'] },
    { what: 'service entrypoint discards the image cmd', service: { command: null, entrypoint: ['/bin/sh'] }, image, args: ['/bin/sh'] },
    { what: 'service entrypoint and command', service: { entrypoint: '/bin/sh -c', command: 'echo hi' }, image, args: ['/bin/sh', '-c', 'echo', 'hi'] },
    { what: 'image cmd only', service: { command: null }, image: { Cmd: ['/bin/true'] }, args: ['/bin/true'] },
    { what: 'service command, no image config', service: { command: ['sleep', 5] }, image: undefined, args: ['sleep', '5'] },
    { what: 'args starting with -- are kept after the separator', service: { command: ['--help'] }, image: undefined, args: ['--help'] },
  ])('$what', async ({ service, image, args }) => {
    const result = await runServiceYaml({ init: true, ...service }, { ...hermetic({ path: bin }), ...(image ? { image } : {}) });
    expect(result.spec.process!.args).toEqual([INIT_DESTINATION, '--', ...args]);
    expect(result.spec.mounts).toContainEqual(initMount);
    expect(result.spec.mounts!.filter((m) => m.destination === INIT_DESTINATION)).toHaveLength(1);
    // The args plugin wrote the args first, the init plugin prefixed them.
    expect(result.trace.filter((t) => t.pointer === '/process/args').map((t) => t.plugin)).toEqual(['ctnr:args', 'ctnr:init']);
  });

  it.each([
    { what: 'privileged', service: { privileged: true }, env: {} },
    { what: 'read_only', service: { read_only: true }, env: {} },
    { what: 'rootless', service: {}, env: { rootless: true, uid: 1000, gid: 1000 } },
    { what: 'privileged + read_only + rootless', service: { privileged: true, read_only: true }, env: { rootless: true, uid: 1000, gid: 1000 } },
  ])('works with $what: the mount stays a read-only bind', async ({ service, env }) => {
    const result = await runServiceYaml({ init: true, command: ['app'], ...service }, hermetic({ path: bin, ...env }));
    expect(result.spec.process!.args).toEqual([INIT_DESTINATION, '--', 'app']);
    const mount = result.spec.mounts!.find((m) => m.destination === INIT_DESTINATION);
    expect(mount).toEqual(initMount);
  });

  it('nothing to run is still reported by ctnr:args-required, not hidden behind the init', async () => {
    const err = await serviceError({ init: true, command: null }, hermetic({ path: bin }));
    expect(err.plugin).toBe('ctnr:args-required');
  });
});
