import { provideHostModules } from '../config/load.js';
import { checkHelpLayout, helpModel, type HelpModel } from './help-text.js';
import { buildProgram, main } from './main.js';
import { setCliBuild } from './compose-cache.js';

/**
 * The CLI proper: scripts/bundle-cli.mjs bundles this module as dist/cli-body.cjs, which src/cli.ts (dist/cli.cjs)
 * loads for every command it does not answer itself (`--version`, `--help`).
 */
export async function run(argv: string[], build?: { hash: string }): Promise<number> {
  setCliBuild(build?.hash);
  // `import … from 'ctnr'` in a config or plugin gets this very copy, loaded only when a code config is found.
  provideHostModules(async () => {
    const [api, kit] = await Promise.all([import('../index.js'), import('../plugin-kit/index.js')]);
    return { ctnr: api, 'ctnr/plugin': kit };
  });
  return main(argv);
}

/** What scripts/bundle-cli.mjs bakes into dist/cli.cjs: the root help (checked against commander) and the commands. */
export function cliBuildInfo(): { help: HelpModel; commands: Record<string, string[]> } {
  const program = buildProgram();
  checkHelpLayout(program);
  const commands: Record<string, string[]> = {};
  for (const cmd of program.commands) {
    const subcommands = cmd.commands.flatMap((sub) => [sub.name(), ...sub.aliases()]);
    for (const name of [cmd.name(), ...cmd.aliases()]) commands[name] = subcommands;
  }
  return { help: helpModel(program), commands };
}
