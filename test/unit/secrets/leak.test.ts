import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';

/**
 * Generated secret values must not appear in anything ctnr prints or writes outside the bundle's secrets
 * folder: `spec`, `explain` (text and --json trace), `plan`, warnings, `bundle create` (its output, config.json,
 * ctnr.json, every other bundle file), and the error output when a later stage, a config plugin or the bundle
 * writer fails. The CLI runs in-process (the same code as bin/ctnr.cjs, without needing a build).
 */
const fileValue = `F1LE-${randomBytes(16).toString('hex')}`;
const envValue = `ENV-${randomBytes(16).toString('hex')}`;
const dotenvValue = `DOTENV-${randomBytes(16).toString('hex')}`;
const ENV_VAR = `CTNR_LEAK_TEST_${process.pid}`;
const SECRETS = [fileValue, envValue, dotenvValue];

let work: string;
let project: string;
let rootfs: string;

function compose(extra: string[] = []): string {
  return [
    'services:',
    '  app:',
    '    image: busybox',
    '    command: ["true"]',
    '    user: "1000"',
    '    volumes: ["./data:/data:z"]', // a warning on stderr: diagnostics are printed too
    '    secrets:',
    '      - db',
    '      - source: token',
    '        uid: "1000"',
    '        mode: "0400"',
    '      - from_dotenv',
    '    configs:',
    '      - source: conf',
    '        target: /etc/app.conf',
    ...extra,
    'secrets:',
    '  db:',
    '    file: ./db.txt',
    '  token:',
    `    environment: ${ENV_VAR}`,
    '  from_dotenv:',
    '    environment: FROM_DOTENV',
    'configs:',
    '  conf:',
    '    content: "plain config"',
    '',
  ].join('\n');
}

async function ctnr(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  let code: number;
  try {
    code = await main(args);
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function expectClean(what: string, text: string): void {
  for (const s of SECRETS) expect(text.includes(s), `${what} contains a secret value:\n${text}`).toBe(false);
}

/** Every regular file below `dir`, relative. */
function walk(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((d) => {
    const r = rel ? `${rel}/${d.name}` : d.name;
    return d.isDirectory() ? walk(dir, r) : d.isFile() ? [r] : [];
  });
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'ctnr-leak-'));
  project = path.join(work, 'project');
  rootfs = path.join(work, 'rootfs');
  mkdirSync(path.join(project, 'data'), { recursive: true });
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  writeFileSync(path.join(project, 'db.txt'), fileValue);
  writeFileSync(path.join(project, '.env'), `FROM_DOTENV=${dotenvValue}\n`);
  writeFileSync(path.join(project, 'compose.yaml'), compose());
  process.env[ENV_VAR] = envValue;
});

afterAll(() => {
  delete process.env[ENV_VAR];
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('no secret value in any output', () => {
  const file = () => path.join(project, 'compose.yaml');

  it.each([
    ['spec', ['spec', 'app']],
    ['spec --compact', ['spec', 'app', '--compact']],
    ['explain', ['explain', 'app']],
    ['explain --json (the trace)', ['explain', 'app', '--json']],
    ['explain /mounts', ['explain', 'app', '/mounts']],
    ['plan', ['plan']],
    ['plan --json', ['plan', '--json']],
  ])('%s', async (_name, args) => {
    const r = await ctnr(...args, '-f', file(), ...(args[0] === 'plan' ? [] : ['--rootfs', rootfs]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expectClean('stdout', r.stdout);
    expectClean('stderr', r.stderr);
  });

  it('spec shows the mounts with bundle-relative sources, and the warning went out', async () => {
    const r = await ctnr('spec', 'app', '-f', file(), '--rootfs', rootfs);
    const spec = JSON.parse(r.stdout);
    const byDest = Object.fromEntries(spec.mounts.map((m: { destination: string; source: string }) => [m.destination, m.source]));
    expect(byDest).toMatchObject({
      '/run/secrets/db': 'secrets/db',
      '/run/secrets/token': 'secrets/token',
      '/run/secrets/from_dotenv': 'secrets/from_dotenv',
      '/etc/app.conf': 'configs/conf',
    });
    expect(r.stdout).not.toContain(path.join(project, 'db.txt'));
    expect(r.stderr).toMatch(/warning: .*SELinux/);
  });

  it('bundle create: output, config.json, ctnr.json and every file outside secrets/ are clean; secrets/ holds the values', async () => {
    const dir = path.join(work, 'bundle');
    const r = await ctnr('bundle', 'create', 'app', dir, '-f', file(), '--rootfs', rootfs, '--data-dir', path.join(work, 'data'));
    expect(r.code, r.stderr).toBe(0);
    expectClean('stdout', r.stdout);
    expectClean('stderr', r.stderr);
    const files = walk(dir);
    expect(files).toEqual(expect.arrayContaining(['config.json', 'ctnr.json', 'secrets/db', 'secrets/token', 'secrets/from_dotenv', 'configs/conf']));
    for (const f of files.filter((f) => !f.startsWith('secrets/'))) expectClean(f, readFileSync(path.join(dir, f), 'utf8'));
    // The values did reach the bundle (so the checks above looked at a pipeline that carried them).
    expect(['db', 'token', 'from_dotenv'].map((n) => readFileSync(path.join(dir, 'secrets', n), 'utf8'))).toEqual([fileValue, envValue, dotenvValue]);
    expect(statSync(path.join(dir, 'secrets')).mode & 0o777).toBe(0o700);

    // A second create fails in the writer (bundle exists): its error is clean too.
    const again = await ctnr('bundle', 'create', 'app', dir, '-f', file(), '--rootfs', rootfs, '--data-dir', path.join(work, 'data'));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    expectClean('stderr', again.stderr);
  });

  describe('failures after the mounts stage', () => {
    it.each([
      {
        name: 'a later stage (seccomp) fails',
        extra: ['    security_opt: ["seccomp=./missing-profile.json"]'],
        config: undefined,
        expect: /missing-profile\.json/,
      },
      {
        name: 'a config plugin in the hooks stage reports an error',
        extra: [],
        config: "export default { plugins: [{ name: 'test:boom', stage: 'hooks', apply(ctx) { ctx.error('boom after secrets', ['secrets', 0]); return []; } }] };\n",
        expect: /\[test:boom\] services\.app\.secrets\[0\]: boom after secrets/,
      },
      {
        name: 'a config plugin\'s op fails to apply',
        extra: [],
        config: "export default { plugins: [{ name: 'test:badop', stage: 'hooks', apply: () => [{ op: 'replace', path: '/nope/x', value: 1 }] }] };\n",
        expect: /test:badop/,
      },
      {
        name: 'a config plugin throws',
        extra: [],
        config: "export default { plugins: [{ name: 'test:throws', stage: 'hooks', apply() { throw new Error('kaput'); } }] };\n",
        expect: /kaput/,
      },
    ])('$name', async ({ extra, config, expect: pattern }) => {
      const dir = mkdtempSync(path.join(work, 'fail-'));
      writeFileSync(path.join(dir, 'db.txt'), fileValue);
      writeFileSync(path.join(dir, '.env'), `FROM_DOTENV=${dotenvValue}\n`);
      mkdirSync(path.join(dir, 'data'));
      writeFileSync(path.join(dir, 'compose.yaml'), compose(extra));
      if (config) writeFileSync(path.join(dir, 'ctnr.config.mjs'), config);
      const f = path.join(dir, 'compose.yaml');
      for (const args of [
        ['spec', 'app', '-f', f, '--rootfs', rootfs],
        ['explain', 'app', '--json', '-f', f, '--rootfs', rootfs],
        ['bundle', 'create', 'app', path.join(dir, 'bundle'), '-f', f, '--rootfs', rootfs, '--data-dir', path.join(work, 'data')],
      ]) {
        const r = await ctnr(...args);
        expect(r.code, `${args[0]}: ${r.stderr}`).not.toBe(0);
        expect(r.stderr).toMatch(pattern);
        expectClean(`${args[0]} stdout`, r.stdout);
        expectClean(`${args[0]} stderr`, r.stderr);
      }
    });
  });
});
