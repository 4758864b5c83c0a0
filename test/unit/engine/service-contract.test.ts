import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The Service contract (src/engine/service.ts) and Env (src/engine/types.ts) are checked by the compiler: a
 * plugin that reads a key they do not have does not compile, and the compose schema cannot drift from the
 * contract. TypeScript 7 has no compiler API, so one `tsc --noEmit` run compiles a small program in a temporary
 * directory: copies of test/types/misspelt-key.fixture.ts and src/compose/service.ts with their relative imports
 * made absolute (the modules they import are the repository's own), and each file's errors are read from the
 * output.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TSC = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
const FIXTURE = readFileSync(path.join(ROOT, 'test/types/misspelt-key.fixture.ts'), 'utf8');
const SCHEMA = readFileSync(path.join(ROOT, 'src/compose/service.ts'), 'utf8');

/** `from './x.js'` → `from '/abs/dir/x.js'`, resolved against the directory the text was written in. */
function absoluteImports(text: string, dir: string): string {
  return text.replace(/from '(\.{1,2}\/[^']+)'/g, (_, rel: string) => `from '${path.join(dir, rel)}'`);
}

/** `text` with `from` replaced by `to` once; fails if `from` is not there (the test would prove nothing). */
function swap(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

const FILES: Record<string, string> = {
  'misspelt.mts': absoluteImports(FIXTURE, path.join(ROOT, 'test/types')),
  'spelt.mts': absoluteImports(FIXTURE, path.join(ROOT, 'test/types')).replaceAll('hostnme', 'hostname'),
  // The schema with a misspelt key, and with a key of another type than the contract's.
  'schema-key.mts': swap(absoluteImports(SCHEMA, path.join(ROOT, 'src/compose')), '\n    hostname: z.string().optional(),', '\n    hostnme: z.string().optional(),'),
  'schema-type.mts': swap(absoluteImports(SCHEMA, path.join(ROOT, 'src/compose')), '\n    shm_size: bytes.optional(),', '\n    shm_size: z.string().optional(),'),
  'env.mts': [
    `import type { PluginContext } from '${path.join(ROOT, 'src/engine/types.js')}';`,
    'export function read({ service, env }: PluginContext) {',
    "  const fine = [service.extensions?.['x-acme-team'], service.security_opt?.[0]?.index, env.kernelRelease, env.extra?.['acme.mirror'], env.environment?.HOME];",
    '  return [fine, env.kernelRelese];',
    '}',
    '',
  ].join('\n'),
};

let dir: string;
let output: string;

/** The error lines tsc printed for one file (paths are relative to the temporary directory). */
function errorsOf(file: string): string[] {
  return output.split('\n').filter((line) => line.startsWith(`${file}(`));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-contract-'));
  // zod and @types/node for the copies, from the repository's node_modules.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(path.join(dir, name), text);
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'],
        strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true, noEmit: true,
      },
      files: Object.keys(FILES),
    }),
  );
  output = await new Promise<string>((resolve) => {
    execFile(process.execPath, [TSC, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, encoding: 'utf8' }, (_err, stdout, stderr) => resolve(stdout + stderr));
  });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Service contract', () => {
  it('a plugin reading a misspelt service key does not compile, and the error names the key', () => {
    const errors = errorsOf('misspelt.mts');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/error TS\d+: Property 'hostnme' does not exist on type 'Readonly<Service>'/);
  });

  it('the same plugin reading `hostname` compiles', () => {
    expect(errorsOf('spelt.mts')).toEqual([]);
  });

  it('a schema key the contract lacks, and a contract key the schema lacks, are errors naming the key', () => {
    const errors = errorsOf('schema-key.mts');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain(`Type '"hostnme"' does not satisfy the constraint 'never'`);
    expect(errors[1]).toContain(`Type '"hostname"' does not satisfy the constraint 'never'`);
  });

  it('a schema key whose output is not the contract\'s type is an error naming the key', () => {
    const errors = errorsOf('schema-type.mts');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`Type '"shm_size"' does not satisfy the constraint 'never'`);
  });

  it('Env is typed too: a misspelt key is an error; extensions, extra and the optional keys compile', () => {
    const errors = errorsOf('env.mts');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Property 'kernelRelese' does not exist on type 'Readonly<Env>'/);
  });

  it('nothing else failed to compile', () => {
    const known = new Set(Object.keys(FILES));
    const other = output.split('\n').filter((line) => /error TS\d+/.test(line) && !known.has(line.split('(')[0]!));
    expect(other).toEqual([]);
  });
});
