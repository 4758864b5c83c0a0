import { collect, COMPOSE_FILE_HELP, oneComposeFile } from '../options.js';
import type { Command } from 'commander';

const dataDirHelp = 'where images are stored (default /var/lib/ctnr, rootless $XDG_DATA_HOME/ctnr)';

function storeOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', dataDirHelp)
    .option('--rootless', 'use the rootless data dir')
    .option('-c, --config <file>', 'ctnr config file (registries, dataDir; default: found from the current directory upward)');
}

/** `pull`, `images`, `image rm|prune|import|inspect`, `login`, `logout`: the local image store and registries. */
export function registerImageCommands(program: Command): void {
  storeOptions(
    program
      .command('pull')
      .description('pull images from their registries (or mirrors) into the local store; without references, those of the compose file\'s services')
      .argument('[reference...]', 'image references, e.g. postgres:16, registry.internal:5000/team/app@sha256:…')
      .option('--platform <os/arch>', 'platform to pull from a multi-platform image (default: this host)')
      .option('-f, --file <file>', `without references: the ${COMPOSE_FILE_HELP}`, oneComposeFile)
      .option('--env-file <file>', 'without references: variables for interpolation instead of .env beside the compose file')
      .option('--profile <name>', 'without references: activate a compose profile; repeatable', collect, [] as string[]),
  ).action(async (refs: string[], opts) =>
    refs.length > 0 ? (await import('../commands/image.js')).pullCommand(refs, opts) : (await import('../commands/pull-project.js')).pullProjectCommand(opts),
  );

  storeOptions(program.command('images').description('list the images in the local store').option('--json', 'machine-readable output')).action(
    async (opts) => (await import('../commands/image.js')).imagesCommand(opts),
  );

  const image = program.command('image').description('manage the local image store');
  storeOptions(image.command('ls').description('list the images in the local store').option('--json', 'machine-readable output')).action(
    async (opts) => (await import('../commands/image.js')).imagesCommand(opts),
  );
  storeOptions(image.command('rm').description('remove image references (blobs go with the next prune)').argument('<reference...>', 'references or digests')).action(
    async (refs, opts) => (await import('../commands/image.js')).imageRmCommand(refs, opts),
  );
  storeOptions(
    image.command('prune').description('delete blobs, unpacked root filesystems and partial downloads that no image references').option('--json', 'machine-readable output'),
  ).action(async (opts) => (await import('../commands/image.js')).imagePruneCommand(opts));
  storeOptions(
    image
      .command('import')
      .description('import a `docker save` / `podman save` tarball, an OCI archive, or an OCI image layout directory')
      .argument('<file>', 'tarball (optionally gzip-compressed) or layout directory')
      .option('--tag <reference>', 'reference for an image the archive does not name')
      .option('--platform <os/arch>', 'platform to take from a multi-platform archive (default: this host)'),
  ).action(async (file, opts) => (await import('../commands/image.js')).imageImportCommand(file, opts));
  storeOptions(image.command('inspect').description('print a stored image (manifest digest, config, layers) as JSON').argument('<reference>', 'reference or digest')).action(
    async (ref, opts) => (await import('../commands/image.js')).imageInspectCommand(ref, opts),
  );

  program
    .command('login')
    .description('check credentials with a registry and store them in auth.json (mode 0600)')
    .argument('<registry>', 'registry host[:port], e.g. registry.internal:5000 or docker.io')
    .option('-u, --username <user>', 'user name')
    .option('--password-stdin', 'read the password (or token) from standard input')
    .option('--authfile <file>', 'auth file (default $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)')
    .option('-c, --config <file>', 'ctnr config file (registries: mirrors, insecure)')
    .action(async (registry, opts) => (await import('../commands/login.js')).loginCommand(registry, opts));

  program
    .command('logout')
    .description('remove stored credentials for a registry')
    .argument('<registry>', 'registry host[:port]')
    .option('--authfile <file>', 'auth file (default $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)')
    .action(async (registry, opts) => (await import('../commands/login.js')).logoutCommand(registry, opts));
}
