import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { createEngine, type Result } from '../../src/create-engine.js';
import { loadComposeFile } from '../../src/compose/load.js';
import { selectService } from '../../src/compose/select.js';
import { escapeControls, formatError } from '../../src/engine/errors.js';
import { lookup } from '../../src/engine/patch.js';
import type { Diagnostic, Env } from '../../src/engine/types.js';
import { defaultPreset } from '../../presets/default.js';
import { TEST_ENV } from './engine.js';
import { capabilitiesFromMask, e2eAvailable, parseFacts, probeScript, which } from './runc.js';
import { expectValidSpec } from './schema.js';
import { REPO } from './shared.js';
import { crunNeedsWorkaround, ctnr, withSandbox, type Sandbox } from '../unit/bundle/cli.js';

/**
 * The one runner of fixture cases (test/fixtures/README.md is the format). A case is a folder under
 * test/fixtures holding `case.yaml`; its name is its path below test/fixtures (`mounts/volumes-all-kinds`).
 * `describeFixtures(kind)` defines one test per case of that kind:
 *   spec  the compose file through the default preset in process   (test/unit/fixtures.test.ts)
 *   cli   the built CLI, run in the case folder                      (test/cli/fixtures.test.ts)
 *   run   `ctnr run` under runc and crun, a probe prints facts       (test/e2e/scenarios.test.ts)
 */
export const FIXTURES = path.join(REPO, 'test/fixtures');
const CLI = path.join(REPO, 'bin/ctnr.cjs');

// ---------------------------------------------------------------------------------------------------------
// The format

/** `{ pointer: value }`: the value at each JSON pointer of the spec equals the given one (`null`: absent). */
const SpecPointers = z.record(z.string().regex(/^\//, 'a JSON pointer starts with /'), z.unknown());

const CapsMatcher = z.strictObject({
  includes: z.array(z.string()).optional(),
  excludes: z.array(z.string()).optional(),
  count: z.number().int().optional(),
  sameAs: z.string().optional(),
});
const FactMatcher = z.union([
  z.string(),
  z.strictObject({ match: z.string() }),
  z.strictObject({ words: z.array(z.string()) }),
  z.strictObject({ line: z.string() }),
  z.strictObject({ caps: CapsMatcher }),
]);
type FactMatcher = z.infer<typeof FactMatcher>;

const common = {
  /** Where the case runs (the compose loader's or the CLI's working directory), relative to the case folder. */
  cwd: z.string().optional(),
};

const SpecCase = z.strictObject({
  kind: z.literal('spec'),
  ...common,
  service: z.string(),
  /** Variables the compose file is loaded with (interpolation); none by default, never the test's own. */
  environment: z.record(z.string(), z.string()).optional(),
  /** Host facts over the tests' default Env (`{ rootless: true, uid: 1000 }`). */
  env: z.record(z.string(), z.unknown()).optional(),
  expect: z
    .strictObject({
      /** formatError's text, as printed (with a final newline). */
      error: z.string().optional(),
      spec: SpecPointers.optional(),
      /** Every diagnostic of a successful run, one line each as `ctnr spec` prints it on stderr. */
      warnings: z.array(z.string()).optional(),
    })
    .refine((e) => e.error !== undefined || e.spec !== undefined, 'expect needs error or spec')
    .refine((e) => e.error === undefined || (e.spec === undefined && e.warnings === undefined), 'expect.error excludes spec and warnings')
    .optional(),
});

const CliCase = z.strictObject({
  kind: z.literal('cli'),
  ...common,
  args: z.array(z.string()),
  /** Variables added to the CLI's environment. */
  environment: z.record(z.string(), z.string()).optional(),
  expect: z
    .strictObject({
      exit: z.number().int().optional(),
      stdout: z.string().optional(),
      stdoutContains: z.array(z.string()).optional(),
      stderr: z.string().optional(),
      /** Pointers into the JSON spec printed on stdout (schema-validated). */
      spec: SpecPointers.optional(),
    })
    .optional(),
});

const RunCase = z.strictObject({
  kind: z.literal('run'),
  service: z.string(),
  /** Plugins whose effect the case checks: it is skipped, saying so, while one is not in the default plan. */
  needs: z.array(z.string()).optional(),
  expect: z.strictObject({
    /** Facts the probe printed: `name: matcher` (README). */
    facts: z.record(z.string(), z.union([FactMatcher, z.array(FactMatcher)])),
    /** Files left under the --data-dir after the run. */
    dataDir: z
      .array(z.strictObject({ under: z.string(), line: z.string(), dirMode: z.string().regex(/^0?[0-7]{3}$/).optional() }))
      .optional(),
  }),
});

const Case = z.discriminatedUnion('kind', [SpecCase, CliCase, RunCase]);
export type CaseFile = z.infer<typeof Case>;
export type FixtureKind = CaseFile['kind'];
const KINDS: readonly FixtureKind[] = ['spec', 'cli', 'run'];

export interface FixtureCase<C extends CaseFile = CaseFile> {
  /** Path of the folder below test/fixtures. */
  name: string;
  dir: string;
  /** The case's kind; undefined when case.yaml names none it knows (then every kind's suite reports it). */
  kind?: FixtureKind;
  /** The parsed case.yaml, or undefined with `problem` saying why it is not one. */
  case?: C;
  problem?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Discovery

/** Every case folder under test/fixtures, sorted by name. Folders inside a case folder are its own files. */
export function fixtureCases(): FixtureCase[] {
  const out: FixtureCase[] = [];
  const walk = (dir: string) => {
    if (existsSync(path.join(dir, 'case.yaml'))) {
      out.push(readCase(dir));
      return;
    }
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'node_modules') walk(path.join(dir, e.name));
    }
  };
  walk(FIXTURES);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function readCase(dir: string): FixtureCase {
  const name = path.relative(FIXTURES, dir).split(path.sep).join('/');
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path.join(dir, 'case.yaml'), 'utf8'));
  } catch (err) {
    return { name, dir, problem: `case.yaml: ${(err as Error).message}` };
  }
  const parsed = Case.safeParse(raw);
  if (!parsed.success) {
    const kind = (raw as { kind?: unknown } | null)?.kind;
    const known = KINDS.find((k) => k === kind);
    return { name, dir, ...(known ? { kind: known } : {}), problem: `case.yaml: ${z.prettifyError(parsed.error)}` };
  }
  // {{DIR}} stands for the case folder in every string of the case.
  return { name, dir, kind: parsed.data.kind, case: fill(parsed.data, dir) };
}

function fill<T>(value: T, dir: string): T {
  if (typeof value === 'string') return value.replaceAll('{{DIR}}', dir) as T;
  if (Array.isArray(value)) return value.map((v) => fill(v, dir)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, dir)])) as T;
  }
  return value;
}

function casesOf<K extends FixtureKind>(kind: K): Array<FixtureCase<Extract<CaseFile, { kind: K }>>> {
  // A case.yaml that does not parse fails in its kind's suite, or in every suite when its kind is unknown.
  return fixtureCases().filter((c) => c.kind === kind || c.kind === undefined) as Array<FixtureCase<Extract<CaseFile, { kind: K }>>>;
}

/** One test per case of `kind`. */
export function describeFixtures(kind: FixtureKind): void {
  if (kind === 'spec') describeSpecCases();
  else if (kind === 'cli') describeCliCases();
  else describeRunCases();
}

function usable<C extends CaseFile>(c: FixtureCase<C>): C {
  if (c.problem !== undefined) expect.fail(`${c.name}/${c.problem}`);
  return c.case!;
}

// ---------------------------------------------------------------------------------------------------------
// spec: in process

function describeSpecCases(): void {
  describe('fixture cases: spec', () => {
    it.each(casesOf('spec'))('$name', async (c) => {
      const spec = usable(c);
      const cwd = path.resolve(c.dir, spec.cwd ?? '.');
      let outcome: { result?: Result; error?: string };
      try {
        const project = loadComposeFile(path.join(c.dir, 'compose.yaml'), { cwd, environment: spec.environment ?? {} });
        const { input } = selectService(project, spec.service);
        const engine = createEngine({ presets: [defaultPreset()], strict: true });
        outcome = { result: await engine.run(input, { ...TEST_ENV, ...(spec.env as Partial<Env>) }) };
      } catch (err) {
        outcome = { error: formatError(err) + '\n' };
      }
      type Want = NonNullable<typeof spec.expect>;
      let want: Want;
      if (spec.expect !== undefined) want = spec.expect;
      else if (outcome.error !== undefined) want = writeExpected(c, { error: outcome.error }) as Want;
      else expect.fail(`${c.name}: no expect; a spec case that succeeds needs expect.spec written by hand`);
      if (want.error !== undefined) {
        expect(outcome.error).toBe(want.error);
        return;
      }
      expect(outcome.error).toBeUndefined();
      const result = outcome.result!;
      expectValidSpec(result.spec);
      expectPointers(result.spec, want.spec ?? {});
      if (want.warnings !== undefined) expect(result.diagnostics.map(diagnosticLine)).toEqual(want.warnings);
    });
  });
}

/** A diagnostic as `ctnr` prints it on stderr (src/cli/output.ts printDiagnostics), without colour. */
function diagnosticLine(d: Diagnostic): string {
  const loc = d.location ? `${d.location.file}${d.location.line ? `:${d.location.line}:${d.location.col ?? 1}` : ''} ` : '';
  const who = d.plugin ? `[${d.plugin}] ` : '';
  return `${d.level}: ${escapeControls(`${loc}${who}${d.path ? d.path + ': ' : ''}${d.message}`)}`;
}

function expectPointers(spec: unknown, pointers: Record<string, unknown>): void {
  for (const [ptr, value] of Object.entries(pointers)) {
    expect(lookup(spec, ptr) ?? null, ptr).toEqual(value);
  }
}

// ---------------------------------------------------------------------------------------------------------
// cli: the built CLI

function describeCliCases(): void {
  describe('fixture cases: cli', () => {
    it('the built CLI exists (npm run build)', () => {
      expect(existsSync(path.join(REPO, 'dist/cli.cjs'))).toBe(true);
    });

    it.each(casesOf('cli'))('$name', (c) => {
      const cli = usable(c);
      const r = spawnSync(process.execPath, ['--', CLI, ...cli.args], {
        cwd: path.resolve(c.dir, cli.cwd ?? '.'),
        encoding: 'utf8',
        env: cliEnvironment(cli.environment),
      });
      const want = cli.expect ?? writeExpected(c, { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
      if (want.stderr !== undefined) expect(r.stderr).toBe(want.stderr);
      expect(r.status, r.stderr).toBe(want.exit ?? 0);
      if (want.stdout !== undefined) expect(r.stdout).toBe(want.stdout);
      for (const line of want.stdoutContains ?? []) expect(r.stdout).toContain(line);
      if (want.spec !== undefined) {
        const spec = JSON.parse(r.stdout);
        expectValidSpec(spec);
        expectPointers(spec, want.spec);
      }
    });
  });
}

/** NO_COLOR, CI, and no FORCE_COLOR at all: node warns on stderr when both are set (even to ''). */
function cliEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: 'true', ...extra };
  delete env.FORCE_COLOR;
  return env;
}

// ---------------------------------------------------------------------------------------------------------
// run: containers

/** What the probe prints, one `name=value` line each (the README lists the names). */
const PROBE = probeScript([
  'echo env_GREETING=${GREETING-unset}',
  'echo env_EMPTY=${EMPTY-unset}',
  'echo nproc=$(ulimit -u)',
  'echo rootro=$(touch /.probe 2>/dev/null && echo no || echo yes)',
  // one fact per mount point: mount_<path with / as _>=<fstype> <options>
  `awk '{ d = $2; gsub("/", "_", d); print "mount" d "=" $3 " " $4 }' /proc/self/mounts`,
  'echo hosts=$(tr "\\n" "|" < /etc/hosts)',
  'echo resolv=$(tr "\\n" "|" < /etc/resolv.conf)',
  'echo memory_limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null)',
  'echo pids_max=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null)',
  'echo data=$(cat /data/hello.txt 2>/dev/null)',
  'echo data_write=$(touch /data/x 2>/dev/null && echo yes || echo no)',
  'echo cache_write=$( { echo kept > /cache/probe; } 2>/dev/null && echo yes || echo no)',
  'echo scratch_write=$(touch /scratch/x 2>/dev/null && echo yes || echo no)',
]);

function describeRunCases(): void {
  const cases = casesOf('run');
  for (const runtime of ['runc', 'crun'] as const) {
    const available = (runtime === 'runc' || which('crun') !== undefined) && e2eAvailable(runtime);
    describe.skipIf(!available)(`fixture cases: run under ${runtime}`, () => {
      let sb: Sandbox;
      let rootfs: string;
      withSandbox((s, r) => {
        sb = s;
        rootfs = r;
      });

      it.for(cases)('$name', (c, ctx) => {
        const run = usable(c);
        const missing = (run.needs ?? []).filter((p) => !plannedPlugins(c.dir, sb).has(p));
        if (missing.length > 0) ctx.skip(`case ${c.name} waits for ${missing.join(', ')} in the default preset`);
        // A copy of the case folder, so relative binds resolve next to it and a config can sit beside it.
        const dir = path.join(sb.dir, `${runtime}-${c.name.replaceAll('/', '-')}`);
        cpSync(c.dir, dir, { recursive: true });
        const dataDir = path.join(sb.dataDir, runtime);
        const r = ctnr(
          ['run', '-f', path.join(dir, 'compose.yaml'), run.service, '--rootfs', rootfs, '--data-dir', dataDir, '--runtime', runtime, '--', '/bin/sh', '-c', PROBE],
          sb,
          { crunWorkaround: runtime === 'crun' && crunNeedsWorkaround() },
        );
        expect(r.stderr.replace(/^note: .*\n/gm, '')).toBe('');
        expect(r.status).toBe(0);
        expectFacts(parseFacts(r.stdout), run.expect.facts);
        for (const want of run.expect.dataDir ?? []) expectDataFile(dataDir, want);
        expect(sb.runtimeState(runtime)).toEqual([]);
      });
    });
  }
}

const planned = new Map<string, Set<string>>();

/** Plugin names in the default plan the built CLI makes for the case's compose file. */
function plannedPlugins(dir: string, sb: Sandbox): Set<string> {
  let names = planned.get(dir);
  if (names === undefined) {
    const r = ctnr(['plan', '--json', '-f', path.join(dir, 'compose.yaml')], sb);
    if (r.status !== 0) throw new Error(`ctnr plan failed: ${r.stderr}`);
    const plan = JSON.parse(r.stdout) as { stages: Array<{ plugins: Array<{ name: string }> }> };
    names = new Set(plan.stages.flatMap((s) => s.plugins.map((p) => p.name)));
    planned.set(dir, names);
  }
  return names;
}

/** Each fact matches its matcher (a list: every one of them). Exported for the format's own tests. */
export function expectFacts(facts: Record<string, string>, want: Record<string, FactMatcher | FactMatcher[]>): void {
  for (const [name, matchers] of Object.entries(want)) {
    for (const m of Array.isArray(matchers) ? matchers : [matchers]) expectFact(facts, name, m);
  }
}

function expectFact(facts: Record<string, string>, name: string, m: FactMatcher): void {
  const value = facts[name];
  expect(value, `fact ${name} was not printed`).toBeDefined();
  const v = value!;
  if (typeof m === 'string') expect(v, name).toBe(m);
  else if ('match' in m) expect(v, name).toMatch(new RegExp(m.match));
  else if ('words' in m) expect(v.split(' ').sort(), name).toEqual([...m.words].sort());
  else if ('line' in m) expect(v.split('|').map((l) => l.trim().split(/\s+/).join(' ')), name).toContain(m.line);
  else {
    const caps = capabilitiesFromMask(v);
    for (const cap of m.caps.includes ?? []) expect(caps, name).toContain(cap);
    for (const cap of m.caps.excludes ?? []) expect(caps, name).not.toContain(cap);
    if (m.caps.count !== undefined) expect(caps, name).toHaveLength(m.caps.count);
    if (m.caps.sameAs !== undefined) {
      expect(facts[m.caps.sameAs], `fact ${m.caps.sameAs} was not printed`).toBeDefined();
      expect(caps, `${name} as ${m.caps.sameAs}`).toEqual(capabilitiesFromMask(facts[m.caps.sameAs]!));
    }
  }
}

/** Some file under `<data dir>/<under>` has a line equal to `line`; the folder holding it has mode dirMode. */
export function expectDataFile(dataDir: string, want: { under: string; line: string; dirMode?: string | undefined }): void {
  const found = filesUnder(path.join(dataDir, want.under)).find((f) => readFileSync(f, 'utf8').split('\n').includes(want.line));
  expect(found, `a file under ${want.under} with the line ${JSON.stringify(want.line)}`).toBeDefined();
  if (want.dirMode !== undefined) expect(statSync(path.dirname(found!)).mode & 0o777, `mode of ${path.dirname(found!)}`).toBe(parseInt(want.dirMode, 8));
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

// ---------------------------------------------------------------------------------------------------------
// CTNR_WRITE_EXPECTED=1: a case without `expect` gets one written from what it did, for review

function writeExpected(c: FixtureCase, observed: Record<string, string | number>): Record<string, any> {
  if (!process.env.CTNR_WRITE_EXPECTED) expect.fail(`${c.name}: case.yaml has no expect (CTNR_WRITE_EXPECTED=1 writes one from what the case does)`);
  // {{DIR}} back in place of the case folder, so the written expectation holds on any checkout.
  const unfill = (s: string) => s.replaceAll(c.dir, '{{DIR}}');
  const lines = ['expect:'];
  for (const [key, value] of Object.entries(observed)) {
    if (value === '' && key !== 'error') continue;
    lines.push(typeof value === 'number' ? `  ${key}: ${value}` : `  ${key}: ${yamlText(unfill(value), 2)}`);
  }
  appendFileSync(path.join(c.dir, 'case.yaml'), lines.join('\n') + '\n');
  const again = readCase(c.dir);
  if (again.problem !== undefined) expect.fail(`${c.name}: the case.yaml written does not parse: ${again.problem}`);
  return (again.case as { expect: Record<string, any> }).expect;
}

/**
 * `text` as a YAML value whose key sits at `keyIndent` spaces: a literal block (`|`, `|-` or `|+` by its
 * final newlines, an indentation indicator when it starts with a blank), or a JSON string when it holds
 * characters a YAML block cannot.
 */
export function yamlText(text: string, keyIndent: number): string {
  // eslint-disable-next-line no-control-regex
  if (text === '' || /[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]/.test(text) || /^\s*$/.test(text)) return JSON.stringify(text);
  const finalNewlines = /\n*$/.exec(text)![0].length;
  const chomp = finalNewlines === 0 ? '-' : finalNewlines === 1 ? '' : '+';
  const indicator = /^[ \t]/.test(text) || /^\n/.test(text) ? '2' : '';
  const pad = ' '.repeat(keyIndent + 2);
  const body = (finalNewlines > 0 ? text.slice(0, -1) : text).split('\n').map((l) => (l === '' ? '' : pad + l));
  return `|${indicator}${chomp}\n${body.join('\n')}`;
}
