import type { Command } from 'commander';
import { collect, COMPOSE_FILE_HELP, composeOptions, oneComposeFile } from '../options.js';
import { rootfsOptions } from './bundle.js';

/** `run`, `up`, `down`, `exec`, `logs`, `ps`: bundles started under runc or crun. */
export function registerRunCommands(program: Command): void {
  const runtimeOption = (cmd: Command) =>
    cmd.option('--runtime <runtime>', 'runc, crun or a path to an OCI runtime (default: crun, else runc; runc where crun cannot run)');

  runtimeOption(
    rootfsOptions(
      composeOptions(
        program
          .command('run')
          .description('create the bundle for one service and run it (stdio, exit code and signals forwarded)')
          .argument('<service>', 'service name in the compose file')
          .argument('[command...]', "replaces the service's command (put it after --)")
          .option('-d, --detach', 'start in the background (output goes to ctnr.log in the bundle)')
          .option('--rm', 'remove the bundle when the container is removed')
          .option('-i, --interactive', 'keep stdin attached (also when the service sets stdin_open)')
          .option('--name <id>', 'container id (default <project>-<service>)')
          .option('--no-deps', 'do not start the services it depends on (started by default, as ctnr up starts them)'),
      ),
    ),
  ).action(async (service, command, opts) => (await import('../commands/run.js')).runCommand(service, command, opts));

  runtimeOption(
    rootfsOptions(
      composeOptions(
        program
          .command('up')
          .description('start services (default: all) detached, dependencies first')
          .argument('[services...]', 'services to start, with what they depend on')
          .option('--no-deps', 'start only the services named, not what they depend on')
          .option('-d, --detach', 'start detached (what up always does; accepted as docker compose accepts it)')
          .option('--force-recreate', 'replace running containers even if their service and image did not change')
          .option('--no-recreate', 'keep running containers even if their service or image changed')
          .option('--wait', 'then wait until every container with a healthcheck is healthy (exit 1 if one turns unhealthy or stops)')
          .option('--wait-timeout <seconds>', 'with --wait: give up after this many seconds (exit 1)'),
      ),
    ),
  ).action(async (services, opts) => (await import('../commands/up.js')).upCommand(services, opts));

  composeOptions(
    program
      .command('down')
      .description('stop and remove the containers started for this compose file (default: all of its services)')
      .argument('[services...]', 'only these services')
      .option('--data-dir <dir>', 'data dir whose network state lists what to release (default: the config\'s, else /var/lib/ctnr)')
      .option('--no-hooks', 'stop without running the services\' pre_stop hooks (one that fails keeps its container running)')
      .option('-v, --volumes', 'then remove the named volumes the file declares (not external ones, nor one a running container uses)')
      .option('-t, --timeout <seconds>', 'seconds to wait after the stop signal before SIGKILL (default: each service\'s stop_grace_period, else 10)'),
  ).action(async (services, opts) => (await import('../commands/down.js')).downCommand(services, opts));

  // Options after a subcommand belong to it (the root has none but --version and --help), so `ctnr exec web ls -la`
  // can pass `-la` on to the command (passThroughOptions below).
  program.enablePositionalOptions();
  program
    .command('exec')
    .description('run a command in a running container of a service (started by up or run -d): stdio and exit status are the command\'s')
    .argument('<service>', 'service name in the compose file')
    .argument('<command...>', 'the command and its arguments (options after the service belong to the command)')
    .option('-f, --file <file>', COMPOSE_FILE_HELP, oneComposeFile)
    .option('-c, --config <file>', 'ctnr config file whose policy judges the exec (default: found from the compose file directory upward)')
    .option('--preset <name>', 'a preset up was given (its policy judges the exec too); repeatable', collect, [] as string[])
    .option('--env-file <file>', 'variables for interpolation instead of .env beside the compose file (as up was given)')
    .option('--index <n>', 'which replica of the service (default: 1)')
    .option('-T, --no-tty', 'no terminal (default: one when stdin is a terminal)')
    .option('-e, --env <KEY=VALUE>', 'an environment variable over the container\'s (KEY alone: its value here); repeatable', collect, [] as string[])
    .option('-w, --workdir <dir>', 'working directory in the container')
    .option('-u, --user <user[:group]>', 'user (and group) to run as: names from the container\'s /etc/passwd and /etc/group, or numbers')
    .passThroughOptions()
    .action(async (service, command, opts) => (await import('../commands/exec.js')).execCommand(service, command, opts));

  program
    .command('logs')
    .description('print the output of the containers up and run -d started for this compose file (default: all of its services)')
    .argument('[services...]', 'only these services')
    // -f follows, as in `docker compose logs -f` (and `docker logs -f`): the compose file is --file alone here.
    .option('--file <file>', 'compose file (default: compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)')
    .option('--env-file <file>', 'variables for interpolation instead of .env beside the compose file (as up was given)')
    .option('-f, --follow', 'then print new lines as they come, until the containers stop')
    .option('-n, --tail <lines>', 'only the last lines of each (a number, or all)')
    .option('--no-log-prefix', 'print the lines without the container id before each')
    .action(async (services, opts) => (await import('../commands/logs.js')).logsCommand(services, opts));

  program
    .command('ps')
    .description('list the containers ctnr started')
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('../commands/ps.js')).psCommand(opts));
}
