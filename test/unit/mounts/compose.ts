/**
 * The mounts tests' entry points: a service plus the top level of its compose file (named volumes need
 * `volumes:`), run through the default preset with the schema check (test/helpers/engine.ts).
 */
export { composeError, mountAt, runCompose, type RunOptions as ComposeRunOptions } from '../../helpers/engine.js';

