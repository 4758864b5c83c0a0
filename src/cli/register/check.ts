import type { Command } from 'commander';
import { composeOptions } from '../options.js';
import { pullOptions } from './image-options.js';

/** `check`: run the policy over every service of a compose file. */
export function registerCheckCommands(program: Command): void {
  composeOptions(
    pullOptions(program
      .command('check')
      .description('run the pipeline for every service (or those named) and list policy violations per service and control; exit 1 when an enforced control fails')
      .argument('[services...]', 'services to check (default: every active service)')
      .option('--rootless', 'generate for an unprivileged user (default: when not root)')
      .option('--no-rootless', 'generate for root even when not root')
      .option('--json', 'print the policy report as JSON')
      .option('--report <file>', 'also write the policy report (JSON) to FILE')
      .option('--data-dir <dir>', 'where images are stored (default /var/lib/ctnr, rootless $XDG_DATA_HOME/ctnr)')),
  ).action(async (services, opts) => (await import('../commands/check.js')).checkCommand(services, opts));
}
