import type { Command } from 'commander';
import { CtnrError } from '../engine/errors.js';

/** `-f`'s help (each command that reads a compose file has it). */
export const COMPOSE_FILE_HELP = 'compose file (default: compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)';

/**
 * `-f FILE`, given once. docker compose merges the files of several `-f`; ctnr reads one compose file, and read
 * only the last one given (silently, which is how a merge a user counted on went missing from the bundle).
 */
export function oneComposeFile(value: string, previous: string | undefined): string {
  if (previous !== undefined) {
    throw new CtnrError('USAGE', `-f is given twice ("${previous}", "${value}"): ctnr reads one compose file and does not merge several as docker compose does; bring in another file's services with include:, or a service's settings with extends: and file:`);
  }
  return value;
}

/** Flags every command that reads a compose file shares. */
export function composeOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <file>', COMPOSE_FILE_HELP, oneComposeFile)
    .option('-c, --config <file>', 'ctnr config file (default: found from the compose file directory upward)')
    .option('--preset <name>', 'add a preset (built-in name or npm package) on top of the config; repeatable', collect, [] as string[])
    .option('--env-file <file>', 'variables for interpolation instead of .env beside the compose file')
    .option('--profile <name>', 'activate a compose profile; repeatable', collect, [] as string[])
    .option('--allow-unsupported', 'turn refused compose keys (see `ctnr keys`) into warnings')
    .option('--image-config <file>', 'OCI image config JSON supplying the image defaults (Env, Cmd, User, …)');
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * A duration option given in seconds (`10`, `1.5`), as seconds; `positive`: it must be above 0 (else 0 or more).
 * A usage error naming the flag otherwise.
 */
export function secondsOption(flag: string, text: string, positive: boolean): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || (positive && seconds <= 0)) {
    throw new CtnrError('USAGE', `${flag}: "${text}" is not a number of seconds ${positive ? 'above 0' : '(0 or more)'}`);
  }
  return seconds;
}
