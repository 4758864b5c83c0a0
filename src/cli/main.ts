import { Command, CommanderError, Option } from 'commander';
import { CtnrError, escapeControls } from '../engine/errors.js';
import { exitCodeFor, printError } from './output.js';
import { VERSION } from '../version.js';
import { registerGenerateCommands } from './register/generate.js';
import { registerBundleCommands } from './register/bundle.js';
import { registerRunCommands } from './register/run.js';
import { registerHookCommands } from './register/hook.js';
import { registerCheckCommands } from './register/check.js';
import { registerKeysCommand } from './register/keys.js';
import { registerImageCommands } from './register/image.js';

export { collect, composeOptions } from './options.js';

/**
 * The command groups (src/cli/register/*.ts) and the top-level commands (with aliases) each registers; a test
 * checks the lists against what each group registers.
 */
export const COMMAND_GROUPS: ReadonlyArray<{ register: (program: Command) => void; commands: readonly string[] }> = [
  { register: registerGenerateCommands, commands: ['spec', 'plan', 'explain'] },
  { register: registerBundleCommands, commands: ['bundle', 'build'] },
  { register: registerRunCommands, commands: ['run', 'up', 'down', 'exec', 'logs', 'ps'] },
  { register: registerHookCommands, commands: ['hook'] },
  { register: registerCheckCommands, commands: ['check'] },
  { register: registerKeysCommand, commands: ['keys'] },
  { register: registerImageCommands, commands: ['pull', 'images', 'image', 'login', 'logout'] },
];

/**
 * The program; given the command line, only the group of the command it starts with (`ctnr spec …` registers
 * spec, plan and explain): building every command's options costs a cold start some milliseconds. Anything
 * else (no command, an option first, `help`, an unknown command) gets every command, for help and did-you-mean.
 */
export function buildProgram(argv?: readonly string[]): Command {
  const program = new Command('ctnr')
    .description('Turn a compose service into an OCI runtime bundle through an auditable plugin pipeline.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    // Commander's errors quote the command line (`unknown command '…'`): escaped like every other error.
    .configureOutput({ writeErr: (s) => process.stderr.write(escapeControls(s)) })
    .exitOverride();

  // One register function per command group (src/cli/register/*.ts); actions import their code lazily so
  // `ctnr --help` and `ctnr spec` load only what they use.
  const first = argv?.[0];
  const only = first === undefined ? undefined : COMMAND_GROUPS.find((g) => g.commands.includes(first));
  for (const group of only ? [only] : COMMAND_GROUPS) group.register(program);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv);
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
