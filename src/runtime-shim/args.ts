/**
 * The runc/crun command line, read only as far as ctnr-runtime needs it: the global options (where to log and
 * in which format), the subcommand, and for `create`/`run` the bundle, the config file and the container id.
 * Nothing here changes the arguments: the real runtime always gets the original list.
 *
 * Both runtimes accept `--flag value`, `--flag=value` and a single dash (`-root value`, Go's flag package);
 * crun (argp) also takes a short option's value attached (`-bDIR`) and unambiguous abbreviations of long
 * options (`--bund DIR`). urfave/cli (runc) reorders flags after the container id, so options are read
 * anywhere before `--`.
 */

/** Global options that take a value (runc and crun together). bin/ctnr-runtime.sh skips the same ones. */
export const GLOBAL_VALUE: ReadonlySet<string> = new Set(['log', 'log-format', 'log-level', 'root', 'criu', 'rootless', 'cgroup-manager']);

/** Subcommand options that take a value, per subcommand group (runc's and crun's together). */
const CREATE_VALUE = new Set(['bundle', 'b', 'console-socket', 'pid-file', 'preserve-fds', 'config', 'f']);
const EXEC_VALUE = new Set([
  'console-socket', 'cwd', 'env', 'e', 'user', 'u', 'additional-gids', 'g', 'process', 'p', 'pid-file', 'process-label',
  'apparmor', 'cap', 'c', 'preserve-fds', 'cgroup',
]);

/** Long options of `create`/`run` whose abbreviation would move the bundle or the config file (crun's argp). */
const MUST_NOT_ABBREVIATE = ['bundle', 'config'];

export const SUBCOMMANDS = [
  'checkpoint', 'create', 'delete', 'events', 'exec', 'features', 'kill', 'list', 'pause', 'ps', 'restore', 'resume',
  'run', 'spec', 'start', 'state', 'update', 'help', 'h',
] as const;

export interface RuntimeArgs {
  /** `--log FILE`: where the runtime logs (engines read it when a command fails). */
  log?: string;
  /** `--log-format text|json`. */
  logFormat?: string;
  /** The subcommand (`create`, `state`, …), or undefined (`--version`, `--help`, nothing). */
  command?: string;
  /** `create`/`run`: `--bundle`/`-b` as given (default: the working directory). */
  bundle?: string;
  /** `create`/`run` under crun: `--config`/`-f`, the spec file to use instead of `config.json` (relative to the bundle). */
  configFile?: string;
  /** `--pid-file` of `create`/`run`/`exec`. */
  pidFile?: string;
  /** The first operand after the subcommand: the container id. */
  containerId?: string;
  /** `exec --process FILE`. */
  processFile?: string;
  /** `--preserve-fds N` of `create`/`run`/`exec`: descriptors 3… the container gets besides stdio and LISTEN_FDS. */
  preserveFds?: number;
  /** Why the arguments cannot be read safely (a `create` that would have to be guessed); the command fails. */
  problem?: string;
}

interface Flag {
  name: string;
  /** The value when given as `--name=value`, or an attached short value (`-bDIR`). */
  inline?: string;
}

function readFlag(arg: string): Flag | undefined {
  if (arg === '-' || !arg.startsWith('-')) return undefined;
  const body = arg.replace(/^--?/, '');
  const eq = body.indexOf('=');
  if (eq >= 0) return { name: body.slice(0, eq), inline: body.slice(eq + 1) };
  return { name: body };
}

/** The global options before the subcommand: where they end (the subcommand's index), `--log`, `--log-format`. */
function readGlobals(argv: readonly string[]): { end: number; log?: string; logFormat?: string } {
  const out: { end: number; log?: string; logFormat?: string } = { end: 0 };
  let i = 0;
  // An unknown option is taken as a switch: the real runtime refuses it.
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    const flag = readFlag(arg);
    if (!flag) break;
    if (!GLOBAL_VALUE.has(flag.name)) continue;
    const value = flag.inline ?? argv[++i];
    if (flag.name === 'log') out.log = value;
    else if (flag.name === 'log-format') out.logFormat = value;
  }
  out.end = i;
  return out;
}

/** The global options as given (`--root DIR --log FILE …`): another command of the runtime needs the same. */
export function globalOptions(argv: readonly string[]): string[] {
  return argv.slice(0, readGlobals(argv).end).filter((a) => a !== '--');
}

export function parseRuntimeArgs(argv: readonly string[]): RuntimeArgs {
  const out: RuntimeArgs = {};
  const globals = readGlobals(argv);
  if (globals.log !== undefined) out.log = globals.log;
  if (globals.logFormat !== undefined) out.logFormat = globals.logFormat;
  const i = globals.end;
  if (i >= argv.length) return out;
  out.command = argv[i]!;
  const rest = argv.slice(i + 1);
  if (out.command === 'create' || out.command === 'run') readCreate(rest, out);
  else if (out.command === 'exec') readExec(rest, out);
  else if (!(SUBCOMMANDS as readonly string[]).includes(out.command) && rest.some((a) => a === 'create' || a === 'run')) {
    // A global option this parser does not know took a value, and what looks like the subcommand is that value:
    // the runtime may read `create` where this reads something else. Refuse rather than skip the pipeline.
    out.problem = `cannot tell the subcommand: "${out.command}" is not one, and a later argument is create or run (a global option this wrapper does not know?)`;
  }
  return out;
}

/** The options of `create`/`run`, and the container id. */
function readCreate(args: readonly string[], out: RuntimeArgs): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.containerId ??= args[i + 1];
      return;
    }
    let flag = readFlag(arg);
    if (!flag) {
      out.containerId ??= arg;
      continue;
    }
    // crun: a short option with its value attached (`-bDIR`, `-fFILE`).
    if (!arg.startsWith('--') && flag.inline === undefined && flag.name.length > 1 && (flag.name[0] === 'b' || flag.name[0] === 'f') && !CREATE_VALUE.has(flag.name)) {
      flag = { name: flag.name[0]!, inline: flag.name.slice(1) };
    }
    if (!CREATE_VALUE.has(flag.name)) {
      const abbreviates = MUST_NOT_ABBREVIATE.find((long) => flag.name.length >= 2 && long !== flag.name && long.startsWith(flag.name));
      if (abbreviates) out.problem = `option ${arg} abbreviates --${abbreviates}: give it in full`;
      continue;
    }
    const value = flag.inline ?? args[++i];
    if (value === undefined) {
      out.problem = `option ${arg} needs a value`;
      return;
    }
    if (flag.name === 'bundle' || flag.name === 'b') out.bundle = value;
    else if (flag.name === 'config' || flag.name === 'f') out.configFile = value;
    else if (flag.name === 'pid-file') out.pidFile = value;
    else if (flag.name === 'preserve-fds') out.preserveFds = count(value);
  }
}

/** The options of `exec` up to the container id (what follows it is the command to run). */
function readExec(args: readonly string[], out: RuntimeArgs): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const flag = arg === '--' ? undefined : readFlag(arg);
    if (!flag) {
      out.containerId = arg === '--' ? args[i + 1] : arg;
      return;
    }
    if (!EXEC_VALUE.has(flag.name)) continue;
    const value = flag.inline ?? args[++i];
    if (flag.name === 'process' || flag.name === 'p') out.processFile = value;
    else if (flag.name === 'pid-file') out.pidFile = value;
    else if (flag.name === 'preserve-fds') out.preserveFds = count(value);
  }
}

function count(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Whether the subcommand creates a container from a bundle (the only ones the pipeline runs for). */
export function createsContainer(args: RuntimeArgs): boolean {
  return args.command === 'create' || args.command === 'run';
}
