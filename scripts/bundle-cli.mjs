// Bundle the CLI: one module graph to read and parse instead of hundreds keeps `ctnr spec` cold start close
// to bare node. Commands are imported lazily (src/cli/register/*.ts), so with splitting each command's code
// sits in its own chunk and `ctnr spec` never parses `ctnr run`'s. jiti stays external: it is loaded only for
// .ts configs. zod's 40 message locales are replaced by the English one the CLI uses (a third of zod's size).
// A second entry, dist/unpack-child.mjs, is the rootless layer unpacker that src/image/unpack-userns.ts runs inside
// a user namespace; @napi-rs/xattr stays external: it loads a native module of the platform's own package.
// dist/ctnr-runtime.mjs, the OCI runtime wrapper (bin/ctnr-runtime.mjs, docs/runtime.md), is a build of its
// own: sharing chunks with the CLI cut its `create` path into some twenty files, and loading those cost more
// than parsing one. Its pipeline sits in one lazy chunk (dist/runtime/), so the commands it only hands over load
// almost nothing.
import { build } from 'esbuild';
import { rmSync, realpathSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
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
  entryPoints: { cli: 'src/cli.ts', 'unpack-child': 'src/image/unpack-child.ts' },
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

rmSync('dist/runtime', { recursive: true, force: true });
await build({
  entryPoints: { 'ctnr-runtime': 'src/runtime-shim/entry.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'runtime/[name]-[hash]',
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

// A V8 startup snapshot of ctnr-runtime for JSON, YAML and .mjs configs (src/runtime-shim/snapshot.ts): one CommonJS file
// (a snapshot entry may require only node's own modules), run by `node --build-snapshot`. It fits only the node
// that built it, so beside it goes that node's path: bin/ctnr-runtime.sh uses the snapshot when the node it
// runs is that file (test -ef) and older than the snapshot. Without a snapshot (an older node, a failed build) ctnr-runtime takes the ordinary path.
const blob = 'dist/ctnr-runtime.blob';
rmSync(blob, { force: true });
rmSync(`${blob}.node`, { force: true });
await build({
  entryPoints: { snapshot: 'src/runtime-shim/snapshot.ts' },
  outdir: 'dist/runtime',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: process.env.CTNR_NO_MINIFY ? false : true,
  legalComments: 'none',
  external: ['jiti', '@napi-rs/xattr'],
  plugins: [zodEnglishOnly],
  logLevel: 'error',
});
const snap = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', 'dist/runtime/snapshot.cjs'], { encoding: 'utf8' });
if (snap.status === 0) {
  writeFileSync(`${blob}.node`, `${realpathSync(process.execPath)}\n${process.version}\n`);
} else {
  rmSync(blob, { force: true });
  console.warn(`ctnr-runtime: no startup snapshot (it only makes create faster): ${(snap.stderr || snap.error?.message || '').split('\n').find((l) => l.trim()) ?? 'node --build-snapshot failed'}`);
}
