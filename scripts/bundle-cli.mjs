// Bundle the CLI: one module graph to read and parse instead of hundreds keeps `ctnr spec` cold start close
// to bare node. Commands are imported lazily (src/cli/register/*.ts), so with splitting each command's code
// sits in its own chunk and `ctnr spec` never parses `ctnr run`'s. jiti stays external: it is loaded only for
// .ts configs. zod's 40 message locales are replaced by the English one the CLI uses (a third of zod's size).
// A second entry, dist/unpack-child.mjs, is the rootless layer unpacker that src/image/unpack-userns.ts runs inside
// a user namespace; @napi-rs/xattr stays external: it loads a native module of the platform's own package.
// A third, dist/ctnr-runtime.mjs, is the OCI runtime wrapper (bin/ctnr-runtime.mjs, docs/runtime.md); its
// pipeline for `create` sits in a lazy chunk, so the commands it only hands over load almost nothing.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';

const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => {
      if (!args.importer.includes(`${path.sep}zod${path.sep}`)) return undefined;
      return { path: path.join(path.dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

rmSync('dist/cli', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts', 'unpack-child': 'src/image/unpack-child.ts', 'ctnr-runtime': 'src/runtime-shim/entry.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'cli/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: process.env.CTNR_NO_MINIFY ? false : true,
  legalComments: 'none',
  external: ['jiti', '@napi-rs/xattr'],
  plugins: [zodEnglishOnly],
  banner: { js: "import { createRequire as __ctnrCreateRequire } from 'node:module'; const require = __ctnrCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
