import { parseBytes } from '../compose/units.js';
import type { Logging } from '../engine/service-types.js';

/**
 * What happens to a detached container's output (`ctnr up`, `run -d`), from the service's `logging:` as docker's
 * drivers read it:
 * - `json-file` (docker's default), `local` and podman's `k8s-file`: a file, `<bundle>/ctnr.log` (plain text, as
 *   the container wrote it). `max-size` rotates it when it would grow past that size (docker's units, `10m`; `-1`
 *   never), keeping `max-file` files: `ctnr.log`, `ctnr.log.1` (the newest rotated) … `ctnr.log.<max-file − 1>`.
 *   `local` has docker's defaults: 20m and 5 files. Without `max-size` the file grows without bound, as docker's
 *   json-file does.
 * - `none`: the output is dropped, and `ctnr logs` says so.
 * - any other driver (syslog, journald, fluentd, …): ctnr has no such sink; the output goes to the file, with a
 *   warning.
 * Options ctnr does not use (`compress`, `tag`, `labels`, …) are named in a warning.
 */
export type LogPolicy =
  | { driver: 'file'; maxBytes?: number; maxFiles: number }
  | { driver: 'none' };

export type LogPolicyResult =
  | { policy: LogPolicy; warnings: string[] }
  | { problem: string; path: Array<string | number> };

const FILE_DRIVERS = new Set(['json-file', 'local', 'k8s-file']);
/** docker's `local` driver keeps 5 files of 20 MiB unless told otherwise. */
const LOCAL_DEFAULTS = { maxBytes: 20 * 1024 * 1024, maxFiles: 5 };

export function logPolicyOf(service: { logging?: Logging }): LogPolicyResult {
  const logging = service.logging;
  const driver = logging?.driver ?? 'json-file';
  const options = logging?.options ?? {};
  const at = (key: string) => ['logging', 'options', key];
  if (driver === 'none') {
    const unused = Object.keys(options);
    return { policy: { driver: 'none' }, warnings: unused.length > 0 ? [`${optionWords(unused)} of no use with driver none`] : [] };
  }
  const warnings: string[] = [];
  if (!FILE_DRIVERS.has(driver)) {
    warnings.push(`logging driver "${driver}" is not supported by ctnr: the output goes to ctnr.log in the bundle (ctnr logs prints it)`);
    return { policy: { driver: 'file', maxFiles: 1 }, warnings };
  }
  let maxBytes: number | undefined = driver === 'local' ? LOCAL_DEFAULTS.maxBytes : undefined;
  let maxFiles = driver === 'local' ? LOCAL_DEFAULTS.maxFiles : 1;
  const unused: string[] = [];
  for (const [key, raw] of Object.entries(options)) {
    const text = raw === null ? '' : String(raw).trim();
    if (key === 'max-size') {
      if (text === '-1') {
        maxBytes = undefined;
        continue;
      }
      let size: number;
      try {
        size = parseBytes(text);
      } catch (err) {
        return { problem: (err as Error).message, path: at(key) };
      }
      if (size <= 0) return { problem: `"${text}": max-size must be a positive size (or -1 for no limit)`, path: at(key) };
      maxBytes = size;
    } else if (key === 'max-file') {
      if (!/^\d{1,6}$/.test(text) || Number(text) < 1) return { problem: `"${text}" is not a number of files (1 or more)`, path: at(key) };
      maxFiles = Number(text);
    } else {
      unused.push(key);
    }
  }
  if (maxFiles > 1 && maxBytes === undefined) {
    return { problem: 'max-file needs max-size: files are rotated when the log reaches max-size', path: at('max-file') };
  }
  if (unused.length > 0) warnings.push(`${optionWords(unused)} not used by ctnr (the log is ctnr.log in the bundle, plain text, rotated by max-size and max-file)`);
  return { policy: maxBytes === undefined ? { driver: 'file', maxFiles } : { driver: 'file', maxBytes, maxFiles }, warnings };
}

/** `logging option tag is` / `logging options compress, tag are` (the verb follows, singular or plural). */
function optionWords(keys: readonly string[]): string {
  return keys.length === 1 ? `logging option ${keys[0]} is` : `logging options ${keys.join(', ')} are`;
}

/** What a container's record says of its log under `policy` (src/runtime/state.ts). */
export function logRecordFields(policy: LogPolicy): { logRotation?: { maxBytes: number; maxFiles: number }; logDriver?: 'none' } {
  if (policy.driver === 'none') return { logDriver: 'none' };
  return policy.maxBytes === undefined ? {} : { logRotation: { maxBytes: policy.maxBytes, maxFiles: policy.maxFiles } };
}
