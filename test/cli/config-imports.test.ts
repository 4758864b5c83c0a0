import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';

/**
 * The CLI's bundled jiti skips relative URLs it already failed to find within one resolution, and those in a
 * directory that is not there (scripts/bundle-cli.mjs, jitiResolveOnce): every import must still resolve to the
 * file jiti itself picks (through a symlinked directory too).
 */
const FILES: Record<string, string> = {
  'only-ts.ts': "export const name = 'only-ts.ts';",
  'both.js': "export const name = 'both.js';",
  'both.ts': "export const name = 'both.ts';",
  'bare.ts': "export const name = 'bare.ts';",
  'bare.js': "export const name = 'bare.js';",
  'lib/index.ts': "export const name = 'lib/index.ts';",
  'plugins/deep.ts': "export { name as up } from '../shared/up.js';\nexport const name = 'plugins/deep.ts';",
  'shared/up.ts': "export const name = 'shared/up.ts';",
  'ctnr.config.ts': `import { name as a } from './only-ts.js';
import { name as b } from './both.js';
import { name as c } from './bare';
import { name as d } from './lib';
import { name as e, up as f } from './plugins/deep.js';
import { name as g } from './linked/up.js';

export const found = [a, b, c, d, e, f, g].join(',');
export default {
  plugins: [{ name: 'acme:found', stage: 'process', apply: () => [{ op: 'add', path: '/process/env/-', value: 'FOUND=' + found }] }],
};
`,
};

describe("a config's relative imports", () => {
  const root = tempRoot('config-imports');
  beforeAll(() => requireBuild());
  afterAll(() => root.cleanup());

  it('resolve to the files jiti itself resolves them to', async () => {
    const dir = project(root.dir, 'imports', SIMPLE, FILES);
    symlinkSync('shared', path.join(dir, 'linked'));
    const { createJiti } = await import('jiti');
    const direct = (await createJiti(import.meta.url, { moduleCache: false, fsCache: false }).import(path.join(dir, 'ctnr.config.ts'))) as { found: string };
    expect(direct.found).toBe('only-ts.ts,both.js,bare.js,lib/index.ts,plugins/deep.ts,shared/up.ts,shared/up.ts');
    const spec = ctnr(dir, ['spec', 'web']);
    expect(spec.stderr).toBe('');
    expect(JSON.parse(spec.stdout).process.env).toContain(`FOUND=${direct.found}`);
  });
});
