import type { Command } from 'commander';

/** Flags of every command that may need a service's image from the store or a registry. */
export function pullOptions(cmd: Command): Command {
  return cmd
    .option('--pull <policy>', 'always, missing (default), never, daily, weekly or every_<duration>: when to pull images (overrides pull_policy)')
    .option('--platform <os/arch>', 'image platform to pull or take from a layout, e.g. linux/arm64/v8 (overrides platform:; default: this host)');
}
