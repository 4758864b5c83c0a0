import { Command, CommanderError, Option } from 'commander';
import { CtnrError } from '../errors.js';
import { exitCodeFor, printError } from './output.js';
import { VERSION } from '../version.js';

/** Flags every command that reads a compose file shares. */
export function composeOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <file>', 'compose file (default: compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)')
    .option('-c, --config <file>', 'ctnr config file (default: found from the compose file directory upward)')
    .option('--preset <name>', 'add a preset (built-in name or npm package) on top of the config; repeatable', collect, [] as string[]);
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('ctnr')
    .description('Turn a compose service into an OCI runtime bundle through an auditable plugin pipeline.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride();

  composeOptions(
    program
      .command('spec')
      .description('print (or write) the config.json for one service')
      .argument('<service>', 'service name in the compose file')
      .option('--rootfs <dir>', 'root filesystem the bundle will use (user and group names resolve against it)')
      .option('--rootless', 'generate for an unprivileged user (default: when not root)')
      .option('--no-rootless', 'generate for root even when not root')
      .option('-o, --output <file>', 'write to FILE instead of stdout')
      .option('--compact', 'one-line JSON'),
  ).action(async (service, opts) => (await import('./commands/spec.js')).specCommand(service, opts));

  composeOptions(
    program
      .command('plan')
      .description('print the resolved stages and plugins, with the preset each came from')
      .option('--json', 'machine-readable output'),
  ).action(async (opts) => (await import('./commands/plan.js')).planCommand(opts));

  composeOptions(
    program
      .command('explain')
      .description('print which plugin wrote each JSON pointer of the spec (or one pointer\'s history)')
      .argument('<service>', 'service name')
      .argument('[pointer]', 'JSON pointer, e.g. /process/args')
      .option('--rootfs <dir>', 'root filesystem (user and group names resolve against it)')
      .option('--rootless', 'generate for an unprivileged user')
      .option('--no-rootless', 'generate for root even when not root')
      .option('--json', 'print the trace as JSON'),
  ).action(async (service, pointer, opts) => (await import('./commands/explain.js')).explainCommand(service, pointer, opts));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    printError(err);
    return exitCodeFor(err);
  }
}

export function usageError(message: string): CtnrError {
  return new CtnrError('USAGE', message);
}

export { Option };
