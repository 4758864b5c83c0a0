import type { Command } from 'commander';

/** `hook network up|down`: run by the OCI runtime as container hooks, not by users. */
export function registerHookCommands(program: Command): void {
  const hook = program.command('hook').description('commands the OCI runtime runs as hooks (they read the OCI state on stdin)');
  const network = hook.command('network').description('container networking with CNI plugins (or slirp4netns rootless)');
  network
    .command('up')
    .description('createRuntime hook: attach the container to its compose networks, publish its ports, update hosts files')
    .action(async () => (await import('../commands/hook.js')).networkHookCommand('up'));
  network
    .command('down')
    .description('poststop hook: release everything up made (CNI DEL with the same config), even if the namespace is gone')
    .action(async () => (await import('../commands/hook.js')).networkHookCommand('down'));
}
