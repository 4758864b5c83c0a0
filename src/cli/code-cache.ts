import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ctnrCacheDir } from '../cache/home.js';

// node's own modules through process.getBuiltinModule, not `import`: in an ES module (tsc's build of this file),
// importing a built-in module makes node build its ES module facade, reading every export (node:fs's ReadStream and
// promises getters load their modules): a few milliseconds of every run. node:os only when it is needed (src/cache/home.ts).
const { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const vm = process.getBuiltinModule('node:vm');

/**
 * The CLI proper (dist/cli-body.cjs, one CommonJS file) compiled through `vm.Script` with V8's code cache.
 *
 * Node 20 has no compile cache for modules (`module.enableCompileCache` came in 22.1), and compiling the
 * bundle is most of a cold start: V8 parses the file, then compiles every function on its first call. A
 * `vm.Script` takes `cachedData`, so after a successful run the code V8 compiled (the lazily compiled functions
 * too, `script.createCachedData()` after the run) is stored in `$XDG_CACHE_HOME/ctnr/` (`~/.cache/ctnr/`), one
 * file per bundle hash, Node version, install path with node flags, and command; the next run deserializes it
 * instead of compiling. V8 checks the cache against its own version and flags and rejects a mismatch; the
 * bundle hash in the name covers the source. A cache file is used only when it belongs to this user and nobody else can write
 * it (code from it runs as this process), and written only into a directory of this user's. V8 in Node 20 does
 * not checksum a cache (a damaged one crashes the process), so a file is written whole (to a temporary file,
 * then renamed into place; not synced, which would cost more than the run) and carries its length and a
 * checksum of every 256th byte, checked before V8 sees it: a file cut short or zeroed by a crash is rewritten.
 *
 * A cache is written when there was none (or V8 rejected it), and rewritten when a run initialised more of
 * ctnr's modules than the run that wrote it (a first config file, `--image` …), so it converges on what the
 * command uses: the build appends `__ctnrModuleInit()` to each of ctnr's own modules (scripts/bundle-cli.mjs),
 * which counts. `CTNR_NO_CODE_CACHE=1` turns it off.
 */
export interface CliBody {
  /** `build`: the bundle's hash (what the caches of its results are kept under). */
  run(argv: string[], build?: { hash: string }): Promise<number>;
}

export interface LoadedBody {
  body: CliBody;
  /** Call after a successful run: stores the compiled code when the cache is missing, stale or too small. */
  save(): void;
}

/**
 * Header: a magic string; how many modules the run that wrote the cache initialised (float64); the length of
 * V8's data and a checksum of it (uint32 each).
 */
const MAGIC = 'ctnr-v8\n';
const HEADER = MAGIC.length + 16;
/** Other builds' caches not read for this long are removed (reads update atime, at least daily under relatime). */
const STALE_MS = 7 * 24 * 3600 * 1000;

/**
 * Node 20 calls `vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER` experimental and prints a warning the first time a
 * dynamic import goes through it (loading a `.mjs` config): that is ctnr's implementation detail, not something
 * the user did, so that one warning is dropped. Every other warning is printed as before.
 */
function quietLoaderWarning(): void {
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    return (emit as (...a: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

export function loadBody(file: string, hash: string, key: string): LoadedBody {
  quietLoaderWarning();
  // ASCII (scripts/bundle-cli.mjs escapes every other character): read as latin1, the same string without UTF-8 decoding.
  const source = readFileSync(file, 'latin1');
  const cacheFile = cachePath(file, hash, key);
  const cached = cacheFile ? readCache(cacheFile) : undefined;
  const url = pathToFileURL(file).href;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __ctnrImportMetaUrl, __ctnrModuleInit, __ctnrImport) {${source}\n})`, {
    filename: file,
    ...(cached ? { cachedData: cached.data } : {}),
    // jiti and a config's own dynamic imports go through Node's loader, as in any module.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as CliBody };
  let modules = 0;
  const moduleInit = () => void modules++;
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, lazyBuiltins(createRequire(file)), module, file, path.dirname(file), url, moduleInit, hostImport);
  return {
    body: module.exports,
    save() {
      if (!cacheFile || (cached && !script.cachedDataRejected && modules <= cached.modules)) return;
      writeCache(cacheFile, hash, script, modules);
    },
  };
}

/**
 * `import()` for the body. Node 20 loses a `vm.Script`'s `importModuleDynamically` when the script comes from a
 * code cache: every `import()` compiled into the body then fails with "A dynamic import callback was not
 * specified" (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so a config importing `node:fs` worked on the first run
 * and failed on every later one. This file is compiled by node's own loader, where `import()` works; the body
 * calls it instead (src/dynamic-import.ts, jiti's native import in scripts/bundle-cli.mjs).
 */
const hostImport = (specifier: string): Promise<unknown> => import(specifier);

/**
 * Node modules the bundle imports at module level but uses on few paths, each several milliseconds to load
 * (child_process brings net and dgram): commander needs child_process only for executable subcommands,
 * ctnr:volumes crypto only to name anonymous volumes. They are loaded on first use.
 */
const LAZY_BUILTINS = new Set(['node:child_process', 'child_process', 'node:crypto', 'crypto']);

/**
 * `require` for the body, with LAZY_BUILTINS as stand-ins that load the module on first use. A property read
 * goes to the module itself; anything that looks at the object as a whole (keys, descriptors, prototype)
 * first copies the module's properties onto the stand-in, so it answers as the module would.
 */
function lazyBuiltins(real: NodeJS.Require): NodeJS.Require {
  const standIns = new Map<string, object>();
  const lazyRequire = (id: string): unknown => {
    if (!LAZY_BUILTINS.has(id)) return real(id);
    let standIn = standIns.get(id);
    if (!standIn) {
      let loaded: Record<PropertyKey, unknown> | undefined;
      const load = () => (loaded ??= real(id) as Record<PropertyKey, unknown>);
      const target: object = {};
      let copied = false;
      const whole = () => {
        if (!copied) {
          Object.defineProperties(target, Object.getOwnPropertyDescriptors(load()));
          Object.setPrototypeOf(target, Object.getPrototypeOf(load()));
          copied = true;
        }
        return target;
      };
      standIn = new Proxy(target, {
        // Bundlers' interop asks every required module whether it is an ES module (jiti's bundle does, at load):
        // node's built-in modules never are, and the question must not load the module.
        get: (_t, key) => (key === '__esModule' ? undefined : load()[key]),
        set: (_t, key, value) => Reflect.set(load(), key, value) && Reflect.set(whole(), key, value),
        has: (_t, key) => key in load(),
        ownKeys: () => Reflect.ownKeys(whole()),
        getOwnPropertyDescriptor: (_t, key) => Reflect.getOwnPropertyDescriptor(whole(), key),
        defineProperty: (_t, key, descriptor) => Reflect.defineProperty(load(), key, descriptor) && Reflect.defineProperty(whole(), key, descriptor),
        deleteProperty: (_t, key) => Reflect.deleteProperty(load(), key) && Reflect.deleteProperty(whole(), key),
        getPrototypeOf: () => Reflect.getPrototypeOf(whole()),
      });
      standIns.set(id, standIn);
    }
    return standIn;
  };
  return Object.assign(lazyRequire, { resolve: real.resolve, cache: real.cache, main: real.main, extensions: real.extensions }) as NodeJS.Require;
}

/**
 * `<cache dir>/cli-<bundle hash>-<node version>-<arch>-<where, node flags>-<command>.v8`, or none when off. The
 * bundle's path is part of the name: a script from the cache keeps the path it was compiled under in its stack
 * traces, so two installs of one build keep a file each.
 */
function cachePath(file: string, hash: string, key: string): string | undefined {
  if (process.env.CTNR_NO_CODE_CACHE) return undefined;
  const dir = ctnrCacheDir();
  if (dir === undefined) return undefined;
  // V8 rejects a cache made under other flags: runs with and without NODE_OPTIONS keep a file each.
  const where = fnv1a([file, ...process.execArgv, process.env.NODE_OPTIONS ?? ''].join('\0'));
  return path.join(dir, `cli-${hash}-${process.version}-${process.arch}-${where}-${key}.v8`);
}

function readCache(file: string): { data: Buffer; modules: number } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0 || st.size <= HEADER) return undefined;
    const buf = readFileSync(fd);
    if (buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
    const data = buf.subarray(HEADER);
    if (data.length !== buf.readUInt32LE(MAGIC.length + 8) || sampleChecksum(data) !== buf.readUInt32LE(MAGIC.length + 12)) return undefined;
    return { data, modules: buf.readDoubleLE(MAGIC.length) };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeCache(file: string, hash: string, script: import('node:vm').Script, modules: number): void {
  const dir = path.dirname(file);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (statSync(dir).uid !== process.geteuid?.()) return;
    const data = script.createCachedData();
    const header = Buffer.alloc(HEADER);
    header.write(MAGIC, 0, 'latin1');
    header.writeDoubleLE(modules, MAGIC.length);
    header.writeUInt32LE(data.length, MAGIC.length + 8);
    header.writeUInt32LE(sampleChecksum(data), MAGIC.length + 12);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeFileSync(fd, header);
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    // Caches of other builds of the CLI (an upgrade, another install, another Node) are removed once unused
    // for a week: two installs in use keep theirs. Another build's at this very path and node (the same
    // version, arch and `where`) is removed at once: this path now holds this build, so nothing reads it again
    // (each rebuild of a checkout left a megabyte per command for a week). A temporary file an hour old was
    // left by a killed run.
    const now = Date.now();
    const install = installOf(path.basename(file));
    for (const name of readdirSync(dir)) {
      if (!name.startsWith('cli-')) continue;
      const other = path.join(dir, name);
      try {
        if (name.endsWith('.tmp')) {
          if (statSync(other).mtimeMs < now - 3600_000) removeQuietly(other);
        } else if (!name.startsWith(`cli-${hash}-`) && (installOf(name) === install || statSync(other).atimeMs < now - STALE_MS)) {
          removeQuietly(other);
        }
      } catch {
        /* removed by another run */
      }
    }
  } catch {
    // A cache is an optimisation: a read-only home or a full disk only means the next run compiles again.
    removeQuietly(tmp);
  }
}

/** `<node version>-<arch>-<where>` of a cache file's name (see cachePath): which node and install path made it. */
function installOf(name: string): string {
  return name.split('-').slice(2, 5).join('-');
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* gone already, or never written */
  }
}

/**
 * FNV-1a over every 256th byte (and the last): catches a file cut short, zeroed or overwritten in blocks (16
 * samples in every 4 KiB page), in a fraction of a millisecond. This file is not code-cached, so the loop runs in
 * V8's interpreter: every 64th byte took 1.5-3 ms of each run. A full hash of the ~1 MB would cost more than it
 * protects; node:crypto alone takes milliseconds to load.
 */
function sampleChecksum(data: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i += 256) h = Math.imul(h ^ data[i]!, 0x01000193);
  if (data.length > 0) h = Math.imul(h ^ data[data.length - 1]!, 0x01000193);
  return h >>> 0;
}

/** 32-bit FNV-1a, hex: a short stable name for a string (no crypto needed at startup). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
