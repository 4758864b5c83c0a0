import { CtnrError, type CtnrErrorDetails } from '../engine/errors.js';

/**
 * Names a compose file (or the command line) gives, checked with docker compose's rules before anything
 * uses them: service and project names become directory names (`<data-dir>/bundles/<project>-<service>`),
 * aliases and container names become /etc/hosts lines. A `/`, `..`, a newline or an escape sequence never
 * gets that far.
 */

/** compose-go's service name rule. */
export const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** compose-go's project name rule (NormalizeProjectName leaves such a name unchanged). */
export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** The docker engine's container name rule (restricted name chars; at least two of them). */
export const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** A host name as /etc/hosts and DNS take it: letters, digits, `.`, `-`, `_`, not starting or ending with a dot or dash. */
export const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
export const HOST_NAME_MAX = 253;

export const SERVICE_NAME_RULE = 'letters, digits, "_", "." and "-", starting with a letter or digit (docker compose\'s rule)';
export const PROJECT_NAME_RULE = 'lower-case letters, digits, "_" and "-", starting with a letter or digit (docker compose\'s rule)';
export const CONTAINER_NAME_RULE = 'at least two letters, digits, "_", "." or "-", starting with a letter or digit (docker\'s rule)';
export const HOST_NAME_RULE = `letters, digits, ".", "-" and "_", starting and ending with a letter or digit, at most ${HOST_NAME_MAX} characters`;

export function isHostName(s: string): boolean {
  return s.length <= HOST_NAME_MAX && HOST_NAME.test(s);
}

export function checkServiceName(name: string, info: CtnrErrorDetails = {}): void {
  if (!SERVICE_NAME.test(name)) throw new CtnrError('NAME_INVALID', `service name ${JSON.stringify(name)} is not valid: use ${SERVICE_NAME_RULE}`, info);
}

export function checkProjectName(name: string, info: CtnrErrorDetails = {}): void {
  if (!PROJECT_NAME.test(name)) throw new CtnrError('NAME_INVALID', `project name ${JSON.stringify(name)} is not valid: use ${PROJECT_NAME_RULE}`, info);
}
