// Bundle the CLI in two parts, so a cold start reads and compiles as little as possible:
// - dist/cli-body.cjs: the CLI proper (src/cli/run.ts and everything it imports), one CommonJS file. dist/cli.mjs
//   compiles it through vm.Script with V8's code cache (src/cli/code-cache.ts): Node 20 can cache the code of a
//   script but not of ES modules. Lazily imported modules (commands, cosmiconfig, the API for a config's
//   `import 'ctnr'`) are bundled as functions that run on first use, so `ctnr spec` runs none of `ctnr run`'s
//   module code, and V8 compiles none of it. jiti stays external: it is loaded only for code configs.
//   zod's 40 message locales are replaced by the English one the CLI uses (a third of zod's size).
// - dist/cli.mjs: the entry bin/ctnr.mjs runs. Only node's own modules, the root help (taken from commander
//   here, and checked against it at every width) and the body's hash: `--version` and `--help` load nothing else.
// A third entry, dist/unpack-child.mjs, is the rootless layer unpacker that src/image/unpack-userns.ts runs inside
// a user namespace; @napi-rs/xattr stays external: it loads a native module of the platform's own package.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

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

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: process.env.CTNR_NO_MINIFY ? false : true,
  legalComments: 'none',
  logLevel: 'warning',
};

// dist/cli/ held the chunks of the earlier split ESM build.
rmSync('dist/cli', { recursive: true, force: true });

const BODY = 'cli-body.cjs';
await build({
  ...common,
  entryPoints: ['src/cli/run.ts'],
  outfile: `dist/${BODY}`,
  format: 'cjs',
  external: ['jiti', '@napi-rs/xattr'],
  plugins: [zodEnglishOnly],
  // src/cli/code-cache.ts passes the body's own URL under this name.
  define: { 'import.meta.url': '__ctnrImportMetaUrl' },
});

const bodyFile = path.resolve('dist', BODY);
// esbuild escapes non-ASCII characters everywhere but in regular expression literals (`/µs|μs/` in
// src/compose/units.ts). One such character makes the whole body a two-byte string for V8, and reading it as
// UTF-8 several times slower: escape them too (`\u00b5` means the same in a pattern, with or without the u flag).
const ascii = readFileSync(bodyFile, 'utf8').replace(/(\\*)([^\x00-\x7f])/g, (_, slashes, c) => {
  // `\µ` (an identity escape) would become `\\u00b5`, a backslash then "u00b5": stop rather than change a pattern.
  if (slashes.length % 2 === 1) throw new Error(`bundle-cli: an escaped non-ASCII character (\\${c}) in ${BODY}`);
  return `${slashes}\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
});
writeFileSync(bodyFile, ascii);
const hash = createHash('sha256').update(ascii).digest('hex').slice(0, 16);
// The root help and the command names, from the program itself (cliBuildInfo checks the help layout).
globalThis.__ctnrImportMetaUrl = pathToFileURL(bodyFile).href;
const { help, commands } = createRequire(import.meta.url)(bodyFile).cliBuildInfo();
delete globalThis.__ctnrImportMetaUrl;

await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.mjs',
  format: 'esm',
  define: { CTNR_CLI_BUILD: JSON.stringify({ body: BODY, hash, help, commands }) },
});

await build({
  ...common,
  entryPoints: ['src/image/unpack-child.ts'],
  outfile: 'dist/unpack-child.mjs',
  format: 'esm',
  external: ['@napi-rs/xattr'],
  banner: { js: "import { createRequire as __ctnrCreateRequire } from 'node:module'; const require = __ctnrCreateRequire(import.meta.url);" },
});
