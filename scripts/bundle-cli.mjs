// Bundle the CLI into one file: one module graph to read and parse instead of hundreds keeps
// `ctnr spec` cold start close to bare node. jiti stays external: it is loaded only for .ts configs.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  splitting: false,
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  external: ['jiti'],
  banner: { js: "import { createRequire as __ctnrCreateRequire } from 'node:module'; const require = __ctnrCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
