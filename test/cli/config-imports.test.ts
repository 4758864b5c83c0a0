import { readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';
import { expectValidSpec } from '../helpers/schema.js';

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

/**
 * The CLI's body runs from V8's code cache from its second run on, and node 20 loses a cached script's dynamic
 * import callback: a config importing one of node's modules loaded once and then failed with "A dynamic import
 * callback was not specified" on every later run (src/cli/code-cache.ts, hostImport).
 */
describe("a code config importing node's own modules", () => {
  const root = tempRoot('config-node-imports');
  beforeAll(() => requireBuild());
  afterAll(() => root.cleanup());

  const CONFIG = `import { readFileSync } from 'node:fs';
const org = JSON.parse(readFileSync(new URL('./org.json', import.meta.url), 'utf8')).name;
const { platform } = await import('node:os');
export default { plugins: [{ name: 'acme:org', stage: 'process', apply: () => [{ op: 'add', path: '/process/env/-', value: 'ORG=' + org + '@' + platform() }] }] };
`;

  it.each(['ts', 'mjs'])('ctnr.config.%s loads on every run, from the code cache too', (ext) => {
    const dir = project(root.dir, ext, SIMPLE, { [`ctnr.config.${ext}`]: CONFIG, 'org.json': '{"name": "acme"}', 'package.json': '{"type": "module"}' });
    const cacheHome = path.join(root.dir, `cache-${ext}`);
    for (let run = 1; run <= 3; run++) {
      const r = ctnr(dir, ['spec', 'web'], { XDG_CACHE_HOME: cacheHome, CTNR_NO_CODE_CACHE: '' });
      expect({ run, stderr: r.stderr, status: r.status }).toEqual({ run, stderr: '', status: 0 });
      expectValidSpec(JSON.parse(r.stdout));
      expect(JSON.parse(r.stdout).process.env).toContain(`ORG=acme@${process.platform}`);
      // The first run wrote the code cache the later ones start from.
      expect(readdirSync(path.join(cacheHome, 'ctnr')).some((n) => n.startsWith('cli-') && n.endsWith('-spec.v8'))).toBe(true);
    }
  });
});
