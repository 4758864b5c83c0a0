import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHelpLayout } from '../../src/cli/help-text.js';
import { Command } from 'commander';
import { buildProgram, COMMAND_GROUPS } from '../../src/cli/main.js';
import { VERSION } from '../../src/version.js';
import { CLI, ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';
import { expectValidSpec } from '../helpers/schema.js';

/** commander's own root help, as it prints it when stdout is not a terminal (80 columns). */
function commanderHelp(): string {
  const program = buildProgram();
  program.configureOutput({ getOutHelpWidth: () => 80, getOutHasColors: () => false });
  return program.helpInformation();
}

// dist/cli.cjs answers these without loading the CLI body or commander (src/cli.ts, src/cli/help-text.ts).
describe('ctnr --version and --help without commander', () => {
  const root = tempRoot('startup');
  beforeAll(() => requireBuild());
  afterAll(() => root.cleanup());

  it.each([['--version'], ['-V']])('%s prints the version', (flag) => {
    const r = ctnr(root.dir, [flag]);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `${VERSION}\n`, '']);
  });

  it.each([['--help'], ['-h'], ['help']])('%s prints commander’s root help on stdout', (arg) => {
    const r = ctnr(root.dir, [arg]);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, commanderHelp(), '']);
  });

  it('no arguments: the help on stderr, exit 0 (as commander did)', () => {
    const r = ctnr(root.dir, []);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', commanderHelp()]);
  });

  it("a command's help still comes from commander", () => {
    const r = ctnr(root.dir, ['spec', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ctnr spec \[options\] \[service\.\.\.\]\n/);
  });

  it('the layout is commander’s at every width (what the build checks)', () => {
    expect(() => checkHelpLayout(buildProgram())).not.toThrow();
  });
});

// buildProgram(argv) registers only the group of the command a command line starts with.
describe('command groups', () => {
  const names = (program: Command) => program.commands.flatMap((c) => [c.name(), ...c.aliases()]);

  it.each(COMMAND_GROUPS.map((g) => [g.commands.join(' '), g] as const))('the group of %s registers exactly those commands', (_names, group) => {
    const program = new Command('ctnr');
    group.register(program);
    expect(names(program).sort()).toEqual([...group.commands].sort());
  });

  it('every command is in one group; a command line starting with one gets its group, anything else every command', () => {
    const all = names(buildProgram()).filter((n) => n !== 'help');
    expect(all.sort()).toEqual(COMMAND_GROUPS.flatMap((g) => g.commands).sort());
    for (const group of COMMAND_GROUPS) for (const name of group.commands) expect(names(buildProgram([name, 'x'])).sort()).toEqual([...group.commands].sort());
    for (const argv of [[], ['--help'], ['help', 'spec'], ['nope'], ['-x', 'spec']]) expect(names(buildProgram(argv)).filter((n) => n !== 'help').sort()).toEqual(all);
  });
});

describe('the code cache', () => {
  const root = tempRoot('code-cache');
  beforeAll(() => requireBuild());
  afterAll(() => root.cleanup());
  // The code cache's files (beside them, compose/ holds parsed compose files: test/cli/parse-cache.test.ts).
  const cacheFiles = (home: string) =>
    existsSync(path.join(home, 'ctnr')) ? readdirSync(path.join(home, 'ctnr')).filter((f) => f.startsWith('cli-')).map((f) => path.join(home, 'ctnr', f)) : [];

  it('is written after a successful run, private, used by the next run and not rewritten', () => {
    const dir = project(root.dir, 'reuse', SIMPLE);
    const env = { XDG_CACHE_HOME: path.join(root.dir, 'reuse-cache') };
    const first = ctnr(dir, ['spec', 'web'], env);
    expect(first.status).toBe(0);
    const [file, ...more] = cacheFiles(env.XDG_CACHE_HOME);
    expect(more).toEqual([]);
    expect(path.basename(file!)).toMatch(/^cli-[0-9a-f]{16}-v\d+\.\d+\.\d+-[a-z0-9]+-[0-9a-f]{8}-spec\.v8$/);
    expect(statSync(file!).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file!)).mode & 0o777).toBe(0o700);
    const written = readFileSync(file!);
    const second = ctnr(dir, ['spec', 'web'], env);
    expect([second.status, second.stdout, second.stderr]).toEqual([0, first.stdout, first.stderr]);
    expect(readFileSync(file!).equals(written)).toBe(true);
  });

  it('a failed run writes none; CTNR_NO_CODE_CACHE turns it off', () => {
    const dir = project(root.dir, 'off', SIMPLE);
    const env = { XDG_CACHE_HOME: path.join(root.dir, 'off-cache') };
    expect(ctnr(dir, ['spec', 'nope'], env).status).toBe(1);
    expect(ctnr(dir, ['spec', 'web'], { ...env, CTNR_NO_CODE_CACHE: '1' }).status).toBe(0);
    expect(cacheFiles(env.XDG_CACHE_HOME)).toEqual([]);
  });

  it('grows when a run uses more of ctnr (a code config after a run without one)', () => {
    const plain = project(root.dir, 'grow-plain', SIMPLE);
    const withConfig = project(root.dir, 'grow-config', SIMPLE, { 'ctnr.config.ts': "import { defineConfig } from 'ctnr';\nexport default defineConfig({ disable: ['ctnr:terminal'] });\n" });
    const env = { XDG_CACHE_HOME: path.join(root.dir, 'grow-cache') };
    expect(ctnr(plain, ['spec', 'web'], env).status).toBe(0);
    const [file] = cacheFiles(env.XDG_CACHE_HOME);
    const before = statSync(file!).size;
    expect(ctnr(withConfig, ['spec', 'web'], env).status).toBe(0);
    expect(statSync(file!).size).toBeGreaterThan(before);
    const grown = readFileSync(file!);
    expect(ctnr(plain, ['spec', 'web'], env).status).toBe(0);
    expect(readFileSync(file!).equals(grown)).toBe(true);
  });

  it.each([
    ['damaged in the middle', (b: Buffer) => b.fill(0x5a, 60_000, 60_400)],
    ['cut short', (b: Buffer) => b.subarray(0, 100_000)],
    ['not ctnr’s', (b: Buffer) => Buffer.concat([Buffer.from('garbage!'), b.subarray(8)])],
  ])('a cache file %s is ignored and replaced', (_what, damage) => {
    const dir = project(root.dir, `damaged-${_what.split(' ')[0]}`, SIMPLE);
    const env = { XDG_CACHE_HOME: path.join(root.dir, `damaged-${_what.split(' ')[0]}-cache`) };
    const good = ctnr(dir, ['spec', 'web'], env);
    const [file] = cacheFiles(env.XDG_CACHE_HOME);
    writeFileSync(file!, damage(readFileSync(file!)));
    const r = ctnr(dir, ['spec', 'web'], env);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, good.stdout, good.stderr]);
    expect(ctnr(dir, ['spec', 'web'], env).stdout).toBe(good.stdout);
  });

  it("other builds' caches go when unused for a week, and temporary files a killed run left after an hour", () => {
    const dir = project(root.dir, 'stale', SIMPLE);
    const home = path.join(root.dir, 'stale-cache');
    const other = (name: string, daysAgo: number) => {
      const file = path.join(home, 'ctnr', name);
      writeFileSync(file, 'x');
      const when = new Date(Date.now() - daysAgo * 24 * 3600 * 1000);
      utimesSync(file, when, when);
      return file;
    };
    mkdirSync(path.join(home, 'ctnr'), { recursive: true, mode: 0o700 });
    const old = other('cli-0000000000000000-v20.0.0-x64-00000000-spec.v8', 8);
    const recent = other('cli-1111111111111111-v20.0.0-x64-00000000-spec.v8', 2);
    const leftover = other('cli-2222222222222222-v20.0.0-x64-00000000-spec.v8.123.tmp', 0.1);
    const unrelated = other('notes.txt', 30);
    expect(ctnr(dir, ['spec', 'web'], { XDG_CACHE_HOME: home }).status).toBe(0);
    expect([old, recent, leftover, unrelated].map(existsSync)).toEqual([false, true, false, true]);
  });

  it("another build's caches at this install path go at once; another install's stay", () => {
    const dir = project(root.dir, 'rebuilt', SIMPLE);
    const home = path.join(root.dir, 'rebuilt-cache');
    expect(ctnr(dir, ['spec', 'web'], { XDG_CACHE_HOME: home }).status).toBe(0);
    const [ours] = cacheFiles(home);
    // cli-<hash>-<node>-<arch>-<where>-<command>.v8: the same node and path under an earlier build's hash, and a
    // build at another path (another `where`), both read an hour ago.
    const [, , node, arch, where, ...command] = path.basename(ours!).split('-');
    const sibling = (hash: string, at: string) => {
      const file = path.join(home, 'ctnr', ['cli', hash, node, arch, at, ...command].join('-'));
      writeFileSync(file, 'x');
      const when = new Date(Date.now() - 3600_000);
      utimesSync(file, when, when);
      return file;
    };
    const earlierBuild = sibling('0123456789abcdef', where!);
    const otherInstall = sibling('fedcba9876543210', where === '00000000' ? '11111111' : '00000000');
    rmSync(ours!); // so that the next run writes its cache, and tidies up
    expect(ctnr(dir, ['spec', 'web'], { XDG_CACHE_HOME: home }).status).toBe(0);
    expect([ours, earlierBuild, otherInstall].map((f) => existsSync(f!))).toEqual([true, false, true]);
  });

  it('a cache file others can write is not used', () => {
    const dir = project(root.dir, 'shared-perms', SIMPLE);
    const env = { XDG_CACHE_HOME: path.join(root.dir, 'perms-cache') };
    const good = ctnr(dir, ['spec', 'web'], env);
    const [file] = cacheFiles(env.XDG_CACHE_HOME);
    chmodSync(file!, 0o666);
    const r = ctnr(dir, ['spec', 'web'], env);
    expect([r.status, r.stdout]).toEqual([0, good.stdout]);
    // Not read, so written anew (a cache that was used is left alone).
    expect(statSync(file!).mode & 0o777).toBe(0o600);
  });
});

// bin/ctnr.cjs, run as a program, starts node with glibc's malloc tunables (unless the caller set any) and the CLI
// takes them out of its environment at once: what a config, a compose file and ctnr's children see is the caller's.
describe('started as a program', () => {
  const root = tempRoot('program');
  beforeAll(() => requireBuild());
  afterAll(() => root.cleanup());
  const config = `import { readFileSync, writeFileSync } from 'node:fs';
const environ = readFileSync('/proc/self/environ', 'latin1').split('\\0').filter((e) => e.startsWith('GLIBC_TUNABLES='));
writeFileSync(new URL('./seen.json', import.meta.url), JSON.stringify({ environ, env: process.env.GLIBC_TUNABLES ?? null, marker: process.env.CTNR_TUNABLES ?? null }));
export default {};
`;
  const compose = 'services:\n  web:\n    command: ["true"]\n    environment:\n      T: ${GLIBC_TUNABLES-none}\n      M: ${CTNR_TUNABLES-none}\n';

  it.each([
    // (Debian's glibc 2.36 keeps only the first of several tunables in the environment it shows; it applies them all.)
    ['the caller set none: node starts with ctnr’s, nobody sees them', undefined, /^GLIBC_TUNABLES=glibc\.malloc\.hugetlb=1(:glibc\.malloc\.mmap_threshold=33554432:glibc\.malloc\.trim_threshold=67108864)?$/, null, 'none'],
    ['the caller’s own are kept', 'glibc.malloc.check=0', /^GLIBC_TUNABLES=glibc\.malloc\.check=0$/, 'glibc.malloc.check=0', 'glibc.malloc.check=0'],
    ['set empty, they stay empty', '', /^GLIBC_TUNABLES=$/, '', ''],
  ])('%s', (name, given, started, seen, interpolated) => {
    const dir = project(root.dir, name.replace(/\W+/g, '-'), compose, { 'ctnr.config.mjs': config });
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: path.join(dir, 'cache') };
    delete env.GLIBC_TUNABLES;
    delete env.CTNR_TUNABLES;
    if (given !== undefined) env.GLIBC_TUNABLES = given;
    const r = spawnSync(CLI, ['spec', 'web'], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(readFileSync(path.join(dir, 'seen.json'), 'utf8'))).toEqual({ environ: [expect.stringMatching(started)], env: seen, marker: null });
    expectValidSpec(JSON.parse(r.stdout));
    expect(JSON.parse(r.stdout).process.env).toEqual(expect.arrayContaining([`T=${interpolated}`, 'M=none']));
  });
});
