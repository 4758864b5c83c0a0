import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { readRegularFile } from '../linux/read-file.js';
import { displayPath } from './files.js';
import { parseEnvFile } from './interpolate.js';

/** The load options the project's variables depend on (see LoadOptions). */
export interface VariableOptions {
  cwd?: string;
  /** Process environment (default `process.env`). */
  environment?: Readonly<Record<string, string | undefined>>;
  /** Variables file instead of `.env` beside the compose file (`--env-file`; relative to cwd). */
  envFile?: string;
}

/** `.env` beside the compose file (or `--env-file`), under the process environment. */
export function projectVariables(dir: string, options: VariableOptions): Record<string, string | undefined> {
  const environment = options.environment ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const envPath = options.envFile ? path.resolve(cwd, options.envFile) : path.join(dir, '.env');
  const vars: Record<string, string | undefined> = Object.create(null);
  if (options.envFile || existsSync(envPath)) {
    const display = displayPath(envPath, cwd);
    let text: string;
    try {
      // `.env` comes with the project (a symlink to /dev/zero in a cloned repository): a regular file only.
      // --env-file is the user's own choice (a process substitution is a FIFO).
      text = options.envFile ? readFileSync(envPath, 'utf8') : readRegularFile(envPath);
    } catch (err) {
      throw new CtnrError('COMPOSE_NOT_FOUND', `cannot read env file ${display}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { location: { file: display } });
    }
    const { entries, errors } = parseEnvFile(text, (n) => ownValue(environment, n));
    if (errors.length > 0) throw new CtnrError('COMPOSE_INVALID', errors[0]!.message, { location: { file: display, line: errors[0]!.line, col: 1 } });
    for (const [k, v] of entries) vars[k] = v;
  }
  for (const [k, v] of Object.entries(environment)) if (v !== undefined) vars[k] = v;
  return vars;
}

/** `env[name]` when the variable is there: `${toString}` and `environment: [constructor]` are not Object.prototype's. */
export function ownValue(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  return Object.hasOwn(env, name) ? env[name] : undefined;
}
