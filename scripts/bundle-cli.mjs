// Bundle the CLI in two parts, so a cold start reads and compiles as little as possible:
// - dist/cli-body.cjs: the CLI proper (src/cli/run.ts and everything it imports), one CommonJS file. dist/cli.cjs
//   compiles it through vm.Script with V8's code cache (src/cli/code-cache.ts): Node 20 can cache the code of a
//   script but not of ES modules. Lazily imported modules (commands, cosmiconfig, the API for a config's
//   `import 'ctnr'`) are bundled as functions that run on first use, so `ctnr spec` runs none of `ctnr run`'s
//   module code, and V8 compiles none of it (jiti, for code configs, included).
//   zod's 40 message locales are replaced by the English one the CLI uses (a third of zod's size).
// - dist/cli.cjs: the entry bin/ctnr.cjs runs. Only node's own modules, the root help (taken from commander
//   here, and checked against it at every width) and the body's hash: `--version` and `--help` load nothing else.
// dist/monitor.cjs is the restart monitor (src/runtime/monitor-main.ts). A third entry, dist/unpack-child.mjs, is the rootless layer unpacker that src/image/unpack-userns.ts runs inside
// a user namespace; @napi-rs/xattr stays external: it loads a native module of the platform's own package.
// dist/ctnr-runtime.mjs, the OCI runtime wrapper (bin/ctnr-runtime.mjs, docs/runtime.md), is a build of its
// own: sharing chunks with the CLI cut its `create` path into some twenty files, and loading those cost more
// than parsing one. Its pipeline sits in one lazy chunk (dist/runtime/), so the commands it only hands over load
// almost nothing.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    // zod's ES module build (locales/index.js) and its CommonJS build (locales/index.cjs, the CLI body's: lazyZod).
    b.onResolve({ filter: /\/locales\/index\.c?js$/ }, (args) => {
      if (!args.importer.includes(`${path.sep}zod${path.sep}`)) return undefined;
      const cjs = args.path.endsWith('.cjs');
      return { path: path.join(path.dirname(args.importer), cjs ? '../locales/en.cjs' : '../locales/en.js'), namespace: cjs ? 'zod-locales-cjs' : 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales-cjs' }, (args) => ({
      contents: `exports.en = require(${JSON.stringify(args.path)}).default;`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

// zod initialises some hundreds of classes when it loads: ~5 ms of every run, though a `ctnr spec` of a valid
// service with no config never validates anything with it (the compose loader's fast path, schemas built on
// first use). In the body, ctnr's own modules get `z` from a stand-in that loads zod on first use: every use of
// `z` in ctnr is a property read inside a function (`z.object(…)` in a schema builder), never at module level
// (test/unit/zod-on-first-use.test.ts keeps it so).
const lazyZod = {
  name: 'lazy-zod',
  setup(b) {
    b.onResolve({ filter: /^zod$/ }, (args) => {
      if (!ownDirs.some((dir) => args.importer.startsWith(dir))) return undefined;
      return { path: 'zod', namespace: 'ctnr-lazy-zod' };
    });
    b.onLoad({ filter: /.*/, namespace: 'ctnr-lazy-zod' }, () => ({
      // `require` here resolves zod's CommonJS build (the importer is this module, not one of ctnr's), bundled and
      // initialised on the first call. Its ES module build would not do: esbuild gives each of its modules an exports
      // object filled at the bundle's top level, hundreds of getters made on every run whether zod is used or not.
      // Only what ctnr imports from zod is offered: an import of anything else fails the build.
      contents: `
        let real;
        const zod = () => (real ??= require('zod'));
        const forward = (get) => new Proxy({}, {
          get: (_, key) => get()[key],
          has: (_, key) => key in get(),
          ownKeys: () => Reflect.ownKeys(get()),
          getOwnPropertyDescriptor: (_, key) => {
            const d = Reflect.getOwnPropertyDescriptor(get(), key);
            return d && { ...d, configurable: true };
          },
        });
        export const z = forward(() => zod().z);
        export const config = (...args) => zod().config(...args);
      `,
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};

// jiti goes into the body too, so its code is in the code cache with the rest (compiling it took ~10 ms of every
// run with a code config). Its entry loads its TypeScript transform (babel, 1.5 MB, needed only when its own
// transpile cache misses) from a path relative to itself: in the bundle, that path is taken from where the jiti
// package is installed instead. The build fails if jiti's entry no longer looks as expected.
const jitiInBody = {
  name: 'jiti-in-body',
  setup(b) {
    const entry = createRequire(import.meta.url).resolve('jiti').replace(/jiti\.cjs$/, 'jiti.mjs');
    b.onResolve({ filter: /^jiti$/ }, () => ({ path: entry }));
    b.onLoad({ filter: /[\\/]jiti[\\/]lib[\\/]jiti\.mjs$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const babel = 'createRequire(import.meta.url)("../dist/babel.cjs")';
      if (source.split(babel).length !== 2) throw new Error(`bundle-cli: ${args.path} no longer loads ${babel}; check how jiti finds its transform`);
      const installed = 'createRequire(import.meta.url)(createRequire(import.meta.url).resolve("jiti").replace(/jiti\\.cjs$/, "../dist/babel.cjs"))';
      // jiti's native import() (node's built-in modules a config imports, ES modules) goes through the CLI entry's
      // (src/dynamic-import.ts says why).
      const native = 'const nativeImport = (id) => import(id);';
      if (source.split(native).length !== 2) throw new Error(`bundle-cli: ${args.path} no longer has \`${native}\`; check how jiti imports natively`);
      const viaEntry = 'const nativeImport = (id) => (typeof __ctnrImport === "function" ? __ctnrImport(id) : import(id));';
      return { contents: source.replace(babel, installed).replace(native, viaEntry), resolveDir: path.dirname(args.path), loader: 'js' };
    });
    b.onLoad({ filter: /[\\/]jiti[\\/]dist[\\/]jiti\.cjs$/ }, (args) => ({ contents: jitiResolveOnce(readFileSync(args.path, 'utf8'), args.path), loader: 'js' }));
  },
};

// jiti resolves `./plugins/motd.js` (README's config: the file is motd.ts) by trying 152 candidate URLs, each a
// stat and a thrown error, before it tries the .ts name: some 15-30 ms of a run with that config. Three quarters
// of the tries are repeats: each module condition set (for a relative specifier they change nothing) and each
// base URL (the importing file, its directory and its node_modules give the same URL for `./x`) tries the same
// URLs again. Most of the rest lie in directories that do not exist (`motd.js/index.ts`, and below the importing
// file as if it were a directory). Within one jitiResolve call, a relative URL that was not found is not tried
// again, and a file URL whose directory is not a directory is not found without trying (what moduleResolve would
// conclude: its stat fails); the order of the tries and the file found stay as they were. The build fails if
// jiti's code no longer looks as expected.
function jitiResolveOnce(source, file) {
  const patches = [
    [
      'function jitiResolve(e,t,i){let n,a;',
      'var __ctnrNotFound,__ctnrNode;function jitiResolve(e,t,i){__ctnrNode??={url:require("node:url"),path:require("node:path"),fs:require("node:fs")};const outer=__ctnrNotFound;__ctnrNotFound={urls:new Set,dirs:new Map};try{return __ctnrJitiResolve(e,t,i)}finally{__ctnrNotFound=outer}}function __ctnrJitiResolve(e,t,i){let n,a;',
    ],
    [
      'function _tryModuleResolve(e,t,i){try{return moduleResolve(e,t,i)}catch(e){if(!jt.has(e?.code))throw e}}',
      'function _tryModuleResolve(e,t,i){let k,d;if(__ctnrNotFound&&/^\\.{0,2}\\//.test(e))try{const u=new URL(e,t);k=u.href;if(__ctnrNotFound.urls.has(k))return;if(u.protocol==="file:"&&!/%2f|%5c/i.test(u.pathname)){const p=__ctnrNode.url.fileURLToPath(u);p.endsWith("/")||(d=__ctnrNode.path.dirname(p))}}catch{}if(d!==void 0){let isDir=__ctnrNotFound.dirs.get(d);if(isDir===void 0){try{isDir=__ctnrNode.fs.statSync(d,{throwIfNoEntry:!1})?.isDirectory()??!1}catch{isDir=!1}__ctnrNotFound.dirs.set(d,isDir)}if(!isDir){__ctnrNotFound.urls.add(k);return}}try{return moduleResolve(e,t,i)}catch(e){if(!jt.has(e?.code))throw e;k!==void 0&&__ctnrNotFound.urls.add(k)}}',
    ],
  ];
  for (const [from, to] of patches) {
    if (source.split(from).length !== 2) throw new Error(`bundle-cli: ${file} no longer has \`${from.slice(0, 40)}…\`; check how jiti resolves relative imports`);
    source = source.replace(from, to);
  }
  return source;
}

// cosmiconfig reads JSON with parse-json, which loads its error reporting (@babel/code-frame, its identifier
// tables, three more packages) before it parses anything, and cosmiconfig reads a package.json in the working
// directory whenever it is loaded (its meta config). In the body, parse-json is a stand-in that returns
// JSON.parse's answer, as parse-json does for valid JSON, and hands invalid JSON to parse-json itself for its error.
const parseJsonOnError = {
  name: 'parse-json-on-error',
  setup(b) {
    b.onResolve({ filter: /^parse-json$/ }, (args) => {
      if (args.namespace === 'parse-json-stand-in') return undefined;
      return { path: createRequire(path.join(args.resolveDir, 'noop.js')).resolve('parse-json'), namespace: 'parse-json-stand-in' };
    });
    b.onLoad({ filter: /.*/, namespace: 'parse-json-stand-in' }, (args) => ({
      contents: `module.exports = function parseJson(string, reviver, filename) {
  try {
    return JSON.parse(string, typeof reviver === 'string' ? null : reviver);
  } catch {
    return require(${JSON.stringify(args.path)})(string, reviver, filename);
  }
};
`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

// The code cache is rewritten when a run initialises more of ctnr's modules than the run that wrote it
// (src/cli/code-cache.ts): each of ctnr's own modules ends by counting itself. Only ctnr's modules: they all have
// side effects anyway, where a call added to a package's module would keep esbuild from dropping it unused.
const ownDirs = ['src', 'plugins', 'presets'].map((dir) => path.resolve(dir) + path.sep);
const countModuleInits = {
  name: 'count-module-inits',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!ownDirs.some((dir) => args.path.startsWith(dir))) return undefined;
      return { contents: `${readFileSync(args.path, 'utf8')}\n;__ctnrModuleInit();\n`, loader: 'ts' };
    });
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

// The compose loader's fast path (src/compose/fast-service.ts) uses a converter only while its key's schema has the
// structure the converter was written for; checking that builds the service schemas (some 900 zod schemas), which
// a `ctnr spec` whose services all take the fast path never needs otherwise. The check is made here, on the same
// sources, and its answer built into the body (CTNR_FAST_SERVICE). The config's fast path (src/config/fast-config.ts)
// likewise (CTNR_FAST_CONFIG).
const fastService = await checkFastPath('src/compose/fast-service.ts', 'checkConverters');
const fastConfig = await checkFastPath('src/config/fast-config.ts', 'checkConfigChecks');

const BODY = 'cli-body.cjs';
await build({
  ...common,
  entryPoints: ['src/cli/run.ts'],
  outfile: `dist/${BODY}`,
  format: 'cjs',
  // undici: only a pull through an HTTP proxy loads it (src/image/registry/proxy.ts), from node_modules.
  external: ['@napi-rs/xattr', 'undici'],
  plugins: [lazyZod, zodEnglishOnly, jitiInBody, parseJsonOnError, countModuleInits],
  // src/cli/code-cache.ts passes the body's own URL under this name (and the module counter).
  // A string (JSON): esbuild gives an object-valued define a module of its own, initialised from every module.
  // The jiti built into the body names its transpile cache's entries (src/config/transpile-cache.ts): known here,
  // where reading it at run time would start node's package-exports resolver (~2 ms).
  define: {
    'import.meta.url': '__ctnrImportMetaUrl',
    CTNR_FAST_SERVICE: JSON.stringify(JSON.stringify(fastService)),
    CTNR_FAST_CONFIG: JSON.stringify(JSON.stringify(fastConfig)),
    CTNR_BUNDLED_JITI_VERSION: JSON.stringify(createRequire(import.meta.url)('jiti/package.json').version),
  },
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
globalThis.__ctnrModuleInit = () => {};
const { help, commands } = createRequire(import.meta.url)(bodyFile).cliBuildInfo();
delete globalThis.__ctnrImportMetaUrl;
delete globalThis.__ctnrModuleInit;

// CommonJS: node starts its ES module loader only for an ES module (src/cli.ts). The entry's own URL, which the
// ES module build reads from import.meta, comes from __filename.
rmSync('dist/cli.mjs', { force: true });
await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.cjs',
  format: 'cjs',
  define: { CTNR_CLI_BUILD: JSON.stringify({ body: BODY, hash, help, commands }), 'import.meta.url': '__ctnrEntryUrl' },
  banner: { js: 'var __ctnrEntryUrl = require("node:url").pathToFileURL(__filename).href;' },
});

await build({
  ...common,
  entryPoints: ['src/image/unpack-child.ts'],
  outfile: 'dist/unpack-child.mjs',
  format: 'esm',
  external: ['@napi-rs/xattr'],
  banner: { js: "import { createRequire as __ctnrCreateRequire } from 'node:module'; const require = __ctnrCreateRequire(import.meta.url);" },
});

// dist/monitor.cjs: the restart monitor (src/runtime/monitor.ts), one long-lived process per container `ctnr up`
// starts with a restart policy. Its own small file, CommonJS: it loads no CLI code and no ES module loader.
await build({
  ...common,
  entryPoints: ['src/runtime/monitor-main.ts'],
  outfile: 'dist/monitor.cjs',
  format: 'cjs',
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
// The third line of that file holds the V8 flags the snapshot runs with: node refuses a snapshot under V8 flags
// other than those in its header, so the script passes them. No Sparkplug: a create runs for some 40 ms, and
// compiling its hot functions to baseline code cost about 6 ms of them (and the warm-up's baseline code made the
// snapshot bigger). No rehashing (finishBlob): a create keeps the hash seed drawn when the snapshot was built.
const blob = 'dist/ctnr-runtime.blob';
const SNAPSHOT_V8_FLAGS = ['--no-sparkplug'];
const RUN_ONLY_V8_FLAGS = ['--no-rehash-snapshot'];
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
const snap = spawnSync(process.execPath, [...SNAPSHOT_V8_FLAGS, '--snapshot-blob', blob, '--build-snapshot', 'dist/runtime/snapshot.cjs'], { encoding: 'utf8' });
if (snap.status === 0) {
  const flags = finishBlob(blob);
  writeFileSync(`${blob}.node`, `${realpathSync(process.execPath)}\n${process.version}\n${flags.join(' ')}\n`);
} else {
  rmSync(blob, { force: true });
  console.warn(`ctnr-runtime: no startup snapshot (it only makes create faster): ${(snap.stderr || snap.error?.message || '').split('\n').find((l) => l.trim()) ?? 'node --build-snapshot failed'}`);
}

/**
 * No rehashing. By default every process draws a new hash seed, and one started from a snapshot then derives that
 * seed's secrets and rehashes every string and hash table the snapshot holds, node's and ours, before any code
 * runs: 7-9 ms of each create here. V8's --no-rehash-snapshot skips that and keeps the seed in the snapshot; it
 * only decides what a process does when it starts from one, and changes nothing in what is serialized. But node
 * refuses a snapshot whose V8 flags differ from the process's (the cache tag in the blob's header: a hash of V8's
 * version and flags). So the builder runs with rehashing, as any node process — it draws a random seed of its own,
 * which the snapshot keeps (a builder run with --no-rehash-snapshot would keep the seed baked into the node binary,
 * the same in every copy of it) — and the header gets the tag node computes under the run flags. A create keeps
 * V8's seeded hashing, with one seed per build instead of one per process.
 *
 * The blob's last part, the code cache of node's own modules (2.6 MB of 6; node 20), is replaced: V8 checks a code
 * cache against the flags it was made under, and would reject all of it under the run flags, and every create
 * reads and copies the whole blob before V8 starts. The modules the snapshot holds are never compiled again; of
 * the others, a create compiles node's ES module loader (for an .mjs config): its entries (70 kB) come from a
 * throwaway snapshot built under the run flags, where V8 accepts them. Any other module a config imports compiles
 * from source.
 *
 * All this only in the layout this build knows (node 20's SnapshotData: magic, metadata — node's version, arch and
 * platform, length-prefixed, then V8's cache tag and flags —, V8's startup data, isolate and environment data,
 * then the code cache, a vector of {id, bytes}, found by parsing it to the end of the file), and kept only when the
 * result starts (main() then fails closed on a config file that does not exist). Otherwise the blob stays as node
 * wrote it, run with the flags it was built with. Returns the V8 flags the blob runs with.
 */
function finishBlob(blobFile) {
  const asBuilt = (why) => {
    console.warn(`ctnr-runtime: the snapshot rehashes when it starts (${why})`);
    return SNAPSHOT_V8_FLAGS;
  };
  const b = readFileSync(blobFile);
  const ours = blobLayout(b);
  if (!ours) return asBuilt('not the blob layout this build knows');
  const tag = (f) => Number(spawnSync(process.execPath, [...f, '-p', 'require("node:v8").cachedDataVersionTag()'], { encoding: 'utf8' }).stdout.trim());
  const runFlags = [...SNAPSHOT_V8_FLAGS, ...RUN_ONLY_V8_FLAGS];
  const [builtTag, runTag] = [tag(SNAPSHOT_V8_FLAGS), tag(runFlags)];
  if (!(Number.isSafeInteger(builtTag) && Number.isSafeInteger(runTag) && b.readUInt32LE(ours.tagAt) === builtTag)) {
    return asBuilt('its header does not hold the tag this build expects');
  }

  // The ES module loader's code cache, made under the run flags (nothing else of that snapshot is used).
  let esm = [];
  const throwaway = `${blobFile}.run-flags`;
  try {
    writeFileSync(`${throwaway}.cjs`, '');
    const made = spawnSync(process.execPath, [...runFlags, '--snapshot-blob', throwaway, '--build-snapshot', `${throwaway}.cjs`], { encoding: 'utf8' });
    const theirs = made.status === 0 ? blobLayout(readFileSync(throwaway)) : undefined;
    esm = theirs?.codeCache.filter((e) => e.id.startsWith('internal/modules/esm/')) ?? [];
  } finally {
    rmSync(throwaway, { force: true });
    rmSync(`${throwaway}.cjs`, { force: true });
  }
  if (esm.length === 0) console.warn('ctnr-runtime: the snapshot has no code cache for node\'s ES module loader (an .mjs config compiles it)');

  const count = Buffer.alloc(8);
  count.writeBigUInt64LE(BigInt(esm.length));
  const out = Buffer.concat([b.subarray(0, ours.codeCacheAt), count, ...esm.map((e) => e.bytes)]);
  out.writeUInt32LE(runTag, ours.tagAt);
  const candidate = `${blobFile}.new`;
  writeFileSync(candidate, out);
  const missing = path.resolve('dist/runtime/no-such-runtime-config.json');
  const check = spawnSync(process.execPath, [...runFlags, '--snapshot-blob', candidate, '--', 'state', 'x'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', CTNR_RUNTIME_CONFIG: missing },
  });
  if (check.status !== 1 || !check.stderr.includes(missing)) {
    rmSync(candidate, { force: true });
    return asBuilt(`the changed blob did not start: ${(check.stderr || check.error?.message || '').split('\n')[0]}`);
  }
  renameSync(candidate, blobFile);
  return runFlags;
}

/**
 * Where a node 20 snapshot blob (`b`) holds V8's cache tag, and its code cache: the offset where that vector
 * starts and its entries ({ id, bytes }: the whole serialized entry); undefined if `b` is not laid out that way.
 */
function blobLayout(b) {
  const u64 = (o) => (o + 8 <= b.length ? Number(b.readBigUInt64LE(o)) : NaN);
  if (b.length < 16 || b.readUInt32LE(0) !== 0x0143da19) return undefined;
  let o = 5;
  for (let i = 0; i < 3 && o < b.length; i++) o += 8 + u64(o);
  const tagAt = o;
  o += 8;
  if (!(o + 4 <= b.length)) return undefined;
  o += 4 + b.readInt32LE(o);
  /** The entries of a code cache vector starting at `at`, if one starts there and ends at the end of the blob. */
  const entriesAt = (at) => {
    const n = u64(at);
    if (!(n > 0 && n < 10000)) return undefined;
    const entries = [];
    let p = at + 8;
    for (let i = 0; i < n; i++) {
      const idLength = u64(p);
      if (!(idLength > 0 && idLength < 256 && p + 8 + idLength <= b.length)) return undefined;
      const id = b.toString('latin1', p + 8, p + 8 + idLength);
      if (!/^[a-z0-9_./-]+$/i.test(id)) return undefined;
      const end = p + 16 + idLength + u64(p + 8 + idLength);
      if (!(end <= b.length)) return undefined;
      entries.push({ id, bytes: b.subarray(p, end) });
      p = end;
    }
    return p === b.length ? entries : undefined;
  };
  for (let at = o; at < Math.min(b.length, o + (1 << 20)); at++) {
    const codeCache = entriesAt(at);
    if (codeCache) return { tagAt, codeCacheAt: at, codeCache };
  }
  return undefined;
}

/** `check()` of a fast path's module (which keys it may take), run on a bundle of that module made for the purpose. */
async function checkFastPath(entry, check) {
  const { outputFiles } = await build({ ...common, minify: false, entryPoints: [entry], format: 'cjs', write: false, plugins: [zodEnglishOnly] });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
  const answer = module.exports[check]();
  if (!Array.isArray(answer?.shapeKeys) || !Array.isArray(answer?.fastKeys)) throw new Error(`bundle-cli: ${check}() of ${entry} answered no key lists`);
  return answer;
}
