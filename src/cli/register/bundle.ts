import type { Command } from 'commander';
import { collect, COMPOSE_FILE_HELP, composeOptions, oneComposeFile } from '../options.js';
import { pullOptions } from './image-options.js';

/** Image and rootfs flags shared by `bundle create`, `run` and `up`. */
export function rootfsOptions(cmd: Command): Command {
  return pullOptions(cmd)
    .option('--rootfs <dir>', 'root filesystem directory, used in place (never copied)')
    .option('--image <layout>', 'OCI image layout: its config feeds the service, its layers are unpacked into the bundle')
    .option('--rootless', 'generate for an unprivileged user (default: when not root)')
    .option('--no-rootless', 'generate for root even when not root')
    .option('--data-dir <dir>', 'where bundles, named volumes and images live (default /var/lib/ctnr, rootless $XDG_DATA_HOME/ctnr)')
    .option('--init-path <file>', 'init binary for services with init: true (overrides init.path in the config)')
    .option('--build', 'build the images of services with build: first, even those already built')
    .option('--no-build', 'build nothing (a service whose image is not built yet is an error)');
}

/** `bundle create|list|rm`: OCI bundles on disk; `build`: the images of services with build:. */
export function registerBundleCommands(program: Command): void {
  const bundle = program.command('bundle').description('create, list and remove OCI bundles');

  rootfsOptions(
    composeOptions(
      bundle
        .command('create')
        .description('write a complete OCI bundle (config.json, generated files, ctnr.json) for one service, atomically; with --all or several services, one bundle each')
        .argument('[service...]', 'service name(s) in the compose file, then for one service an optional bundle directory (default <data-dir>/bundles/<project>-<service>)')
        .option('--all', 'every active service (respecting --profile), each in its default directory')
        .option('--force', 'replace an existing bundle'),
    ),
  ).action(async (args: string[], opts, cmd: Command) => {
    // `bundle create` alone: commander's own message, as when the argument was required.
    if (args.length === 0 && !opts.all) cmd.error("error: missing required argument 'service'", { code: 'commander.missingArgument' });
    return (await import('../commands/bundle.js')).bundleCreateCommand(args, opts);
  });

  bundle
    .command('list')
    .alias('ls')
    .description('list bundles under the data dir')
    .option('--data-dir <dir>', 'data dir (default: the config\'s dataDir, else /var/lib/ctnr, rootless $XDG_DATA_HOME/ctnr)')
    .option('-c, --config <file>', 'ctnr config file whose dataDir to use (default: found from the current directory upward)')
    .option('--rootless', 'use the rootless data dir')
    .option('--json', 'machine-readable output')
    .option('-a, --all', 'also list the temporary directories of bundle writes: in progress, or stale (left by a killed process; the next write there collects them)')
    .action(async (opts) => (await import('../commands/bundle.js')).bundleListCommand(opts));

  bundle
    .command('rm')
    .description('remove bundles (by name under the data dir, or by path)')
    .argument('<bundle...>', 'bundle names or directories')
    .option('--data-dir <dir>', 'data dir (default: the config\'s dataDir, else /var/lib/ctnr, rootless $XDG_DATA_HOME/ctnr)')
    .option('-c, --config <file>', 'ctnr config file whose dataDir to use (default: found from the current directory upward)')
    .option('--rootless', 'use the rootless data dir')
    .option('--force', 'remove even when a running container uses it')
    .action(async (names, opts) => (await import('../commands/bundle.js')).bundleRmCommand(names, opts));

  // Only what a build reads of the project: no presets, image config or pull policy (they change no image).
  program
    .command('build')
    .description('build the images of services with build: (default: the active ones) with podman, buildah or docker, into the local store')
    .argument('[services...]', 'services to build')
    .option('-f, --file <file>', COMPOSE_FILE_HELP, oneComposeFile)
    .option('-c, --config <file>', 'ctnr config file (builder, dataDir; default: found from the compose file directory upward)')
    .option('--env-file <file>', 'variables for interpolation instead of .env beside the compose file')
    .option('--profile <name>', 'activate a compose profile; repeatable', collect, [] as string[])
    .option('--allow-unsupported', 'turn refused compose keys (see `ctnr keys`) into warnings')
    .option('--no-cache', 'build every layer again')
    .option('--pull', 'pull the base images again')
    .option('--builder <name>', 'podman, buildah, docker or a path to one (default: the config\'s builder, else $CTNR_BUILDER, else the first on PATH)')
    .option('--runtime <runtime>', 'the OCI runtime RUN steps use with podman and buildah (default: as ctnr run picks one)')
    .option('--data-dir <dir>', 'where images are stored (default /var/lib/ctnr, rootless $XDG_DATA_HOME/ctnr)')
    .option('--rootless', 'use the rootless data dir')
    .action(async (services, opts) => (await import('../commands/build.js')).buildCommand(services, opts));
}
