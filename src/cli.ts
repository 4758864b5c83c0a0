import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliBody } from './cli/code-cache.js';
import { formatHelp, type HelpModel } from './cli/help-text.js';
import { exitQuietlyOnClosedPipe } from './cli/pipe.js';
import { escapeControls } from './engine/errors.js';
import { VERSION } from './version.js';

/**
 * The `ctnr` command's entry (dist/cli.cjs): node's own modules and a few small ones of ctnr's, nothing from
 * node_modules. `--version` and `--help` are answered here; every other command runs the CLI proper,
 * dist/cli-body.cjs (src/cli/run.ts), through V8's code cache (src/cli/code-cache.ts). scripts/bundle-cli.mjs
 * fills in CTNR_CLI_BUILD; unbundled (tsc's dist/src), src/cli/run.ts is imported as it is.
 * The bundle is CommonJS, hence no top-level await: node starts its ES module loader for an ES module entry, some
 * 10 ms of every run (bin/ctnr.cjs requires dist/cli.cjs; bin/ctnr.mjs, which imports it, pays them).
 */
declare const CTNR_CLI_BUILD:
  | {
      /** The body's file name beside this one, and a hash of its contents. */
      body: string;
      hash: string;
      /** The root command's help, from commander at build time. */
      help: HelpModel;
      /** Command names (and aliases) → their subcommands' names: the code cache keeps a file per command. */
      commands: Record<string, string[]>;
    }
  | undefined;

// A CLI run parses each schema once: zod's JIT (it compiles a parser per object schema with new Function on
// first use) costs ~20 ms of a cold start and never pays off here. zod reads its config from this global when
// it loads, so zod itself is not loaded for it. Library users keep the JIT.
((globalThis as { __zod_globalConfig?: Record<string, unknown> }).__zod_globalConfig ??= {}).jitless = true;

// bin/ctnr.cjs set glibc's tunables for this process alone (it says why); glibc read them when the process started.
if (process.env.CTNR_TUNABLES) {
  delete process.env.GLIBC_TUNABLES;
  delete process.env.CTNR_TUNABLES;
}

const argv = process.argv.slice(2);
const build = typeof CTNR_CLI_BUILD === 'undefined' ? undefined : CTNR_CLI_BUILD;
void main();

async function main(): Promise<void> {
  // A rejection here is unhandled, so node prints it and exits 1, as a failed top-level await would.
  process.exitCode = answerHere(argv) ?? (await runBody(argv));
}

/** `ctnr --version`, `ctnr --help` (`-h`, `help`) and `ctnr` alone, as commander prints them. */
function answerHere(args: string[]): number | undefined {
  const [only] = args;
  if (args.length > 1) return undefined;
  if (only === '--version' || only === '-V') return write(process.stdout, `${VERSION}\n`);
  if (!build) return undefined;
  if (only === '--help' || only === '-h' || only === 'help') return write(process.stdout, formatHelp(build.help, helpWidth(process.stdout)));
  // commander: no command → the help on stderr (exit 0 in ctnr), escaped like every error.
  if (only === undefined) return write(process.stderr, escapeControls(formatHelp(build.help, helpWidth(process.stderr))));
  return undefined;
}

/** Only the stream written to is set up (a stream is a socket to create for a pipe). */
function write(stream: NodeJS.WriteStream, text: string): number {
  exitQuietlyOnClosedPipe([stream]);
  stream.write(text);
  return 0;
}

/** commander's width: the terminal's columns, 80 when not a terminal. */
function helpWidth(stream: NodeJS.WriteStream): number {
  return (stream.isTTY ? stream.columns : undefined) ?? 80;
}

async function runBody(args: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  sizeThreadPool();
  if (!build) {
    // Unbundled (tsc's dist/src, a source checkout): the modules themselves.
    const entry = './cli/run.js';
    return ((await import(entry)) as CliBody).run(args);
  }
  const { loadBody } = await import('./cli/code-cache.js');
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), build.body);
  const loaded = loadBody(file, build.hash, cacheKey(args, build.commands));
  const code = await loaded.body.run(args, { hash: build.hash });
  if (code === 0) loaded.save();
  return code;
}

/**
 * The command a run's code cache is kept under: `spec`, `bundle-create`, …; `help` for a command's help (it
 * compiles none of the command's code), `other` for anything else.
 */
function cacheKey(args: string[], commands: Record<string, string[]>): string {
  if (args.includes('--help') || args.includes('-h') || args[0] === 'help') return 'help';
  const [first, second] = args;
  if (first === undefined || !Object.hasOwn(commands, first)) return 'other';
  const subcommands = commands[first]!;
  return second !== undefined && subcommands.includes(second) ? `${first}-${second}` : first;
}

/**
 * libuv's thread pool (file writes, zlib, hashing) has 4 threads whatever the machine. With fewer cores they take
 * turns with the main thread that feeds them: `spec --all` over 1,000 services ran ~9% longer with 4 threads than
 * with 2 on a 2-core machine. The pool is sized to the cores (at most libuv's 4) before anything uses it, unless
 * UV_THREADPOOL_SIZE is set.
 */
function sizeThreadPool(): void {
  if (process.env.UV_THREADPOOL_SIZE) return;
  const cores = process.getBuiltinModule('node:os').availableParallelism();
  process.env.UV_THREADPOOL_SIZE = String(Math.max(1, Math.min(4, cores)));
}
