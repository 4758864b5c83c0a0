import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REPO } from '../helpers/shared.js';

/**
 * zod is off the cold start (scripts/bundle-cli.mjs gives ctnr's modules a stand-in that loads it on first use), and
 * only stays off if no module of ctnr touches `z` when it is imported: a schema at a module's top level loads zod
 * and builds it for every run that imports the module (a config's `import { defineConfig } from 'ctnr'` imports
 * every preset). Here `z` counts who reads it while every module of src/, plugins/ and presets/ is imported.
 */

const reads = vi.hoisted(() => ({ during: false, stacks: [] as string[] }));

vi.mock('zod', async (importOriginal) => {
  const real = await importOriginal<typeof import('zod')>();
  const z = new Proxy(real.z, {
    get(target, key, receiver) {
      if (reads.during) reads.stacks.push(`z.${String(key)}\n${new Error().stack?.split('\n').slice(2, 6).join('\n')}`);
      return Reflect.get(target, key, receiver);
    },
  });
  return { ...real, z };
});

/** Programs (scripts/bundle-cli.mjs's entry points): importing one runs it. */
const ENTRIES = new Set(['src/cli.ts', 'src/image/unpack-child.ts', 'src/runtime/monitor-main.ts', 'src/runtime-shim/entry.ts', 'src/runtime-shim/snapshot.ts']);

function modules(dir: string): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(REPO, path.join(e.parentPath, e.name)))
    .filter((f) => !ENTRIES.has(f))
    .sort();
}

afterAll(() => {
  reads.during = false;
});

describe('zod on first use', () => {
  it('no module of ctnr reads `z` when it is imported', async () => {
    const files = [...modules('src'), ...modules('plugins'), ...modules('presets')];
    expect(files.length).toBeGreaterThan(200);
    vi.resetModules();
    reads.during = true;
    for (const file of files) await import(path.join(REPO, file));
    reads.during = false;
    expect(reads.stacks, 'a zod schema built at a module top level: build it in a function, on first use').toEqual([]);
  });

  it('the counter works: a schema built at import is caught', async () => {
    reads.stacks.length = 0;
    reads.during = true;
    const { z } = await import('zod');
    z.string();
    reads.during = false;
    expect(reads.stacks).toHaveLength(1);
  });
});
