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

export function buildProgram(): Command {
  const program = new Command('ctnr')
    .description('Turn a compose service into an OCI runtime bundle through an auditable plugin pipeline.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    // Commander's errors quote the command line (`unknown command '…'`): escaped like every other error.
    .configureOutput({ writeErr: (s) => process.stderr.write(escapeControls(s)) })
    .exitOverride();

  // One register function per command group (src/cli/register/*.ts); actions import their code lazily so
  // `ctnr --help` and `ctnr spec` load only what they use.
  registerGenerateCommands(program);
  registerBundleCommands(program);
  registerRunCommands(program);
  registerHookCommands(program);
  registerCheckCommands(program);
  registerKeysCommand(program);
  registerImageCommands(program);

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
