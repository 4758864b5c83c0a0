import type { Command } from 'commander';
import { composeOptions } from '../options.js';
import { pullOptions } from './image-options.js';

/** `spec`, `plan`, `explain`: generate a spec and show where every part of it came from. */
export function registerGenerateCommands(program: Command): void {
  composeOptions(
    pullOptions(program
      .command('spec')
      .description('print (or write) the config.json for one service; with --all or several services, write DIR/<service>.json for each')
      .argument('[service...]', 'service name(s) in the compose file')
      .option('--all', 'every active service (respecting --profile); needs -o DIR')
      .option('--rootfs <dir>', 'root filesystem the bundle will use (user and group names resolve against it)')
      .option('--rootless', 'generate for an unprivileged user (default: when not root)')
      .option('--no-rootless', 'generate for root even when not root')
      .option('--init-path <file>', 'init binary for services with init: true (overrides init.path in the config)')
      .option('--image <layout>', 'OCI image layout whose config (Env, Entrypoint, Cmd, User, …) feeds the service')
      .option('-o, --output <file>', 'write to FILE instead of stdout (with --all or several services: an existing directory)')
      .option('--compact', 'one-line JSON')
      .option('--report <file>', 'write the policy report (violations with modes and exemptions, JSON) to FILE')
      .option('--data-dir <dir>', 'where images are stored (default /var/lib/ctnr, rootless $XDG_DATA_HOME/ctnr)')),
  ).action(async (services: string[], opts, cmd: Command) => {
    // `ctnr spec` alone: commander's own message, as when the argument was required.
    if (services.length === 0 && !opts.all) cmd.error("error: missing required argument 'service'", { code: 'commander.missingArgument' });
    return (await import('../commands/spec.js')).specCommand(services, opts);
  });

  composeOptions(
    program
      .command('plan')
      .description('print the resolved stages and plugins, with the preset each came from')
      .option('--json', 'machine-readable output')
      .option('--runtime', "ctnr-runtime's plan over an engine's config.json: its runtime config (-c FILE, else as ctnr-runtime finds it) and which plugins run or are left out"),
  ).action(async (opts) => (opts.runtime ? (await import('../../runtime-shim/plan.js')).runtimePlanCommand(opts) : (await import('../commands/plan.js')).planCommand(opts)));

  composeOptions(
    pullOptions(program
      .command('explain')
      .description('print which plugin wrote each JSON pointer of the spec (or one pointer\'s history)')
      .argument('<service>', 'service name')
      .argument('[pointer]', 'JSON pointer, e.g. /process/args')
      .option('--rootfs <dir>', 'root filesystem (user and group names resolve against it)')
      .option('--rootless', 'generate for an unprivileged user')
      .option('--no-rootless', 'generate for root even when not root')
      .option('--init-path <file>', 'init binary for services with init: true (overrides init.path in the config)')
      .option('--image <layout>', 'OCI image layout whose config (Env, Entrypoint, Cmd, User, …) feeds the service')
      .option('--json', 'print the trace as JSON')
      .option('--data-dir <dir>', 'where images are stored (default /var/lib/ctnr, rootless $XDG_DATA_HOME/ctnr)')),
  ).action(async (service, pointer, opts) => (await import('../commands/explain.js')).explainCommand(service, pointer, opts));

}
