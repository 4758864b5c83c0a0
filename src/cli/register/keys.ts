import type { Command } from 'commander';

/** `keys`: what ctnr does with every compose service key (mapped, carried, ignored, refused). */
export function registerKeysCommand(program: Command): void {
  program
    .command('keys')
    .description('list every compose service key and what ctnr does with it (mapped, carried, ignored, refused)')
    .argument('[class]', 'only keys of this class: mapped, carried, ignored or refused')
    .option('--json', 'machine-readable output')
    .action(async (cls, opts) => (await import('../commands/keys.js')).keysCommand(cls, opts));
}
