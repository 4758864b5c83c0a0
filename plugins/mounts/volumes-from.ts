import { SERVICE_NAME } from '../../src/compose/names.js';

/** One `volumes_from` entry: whose mounts, and the mode forced on them (`ro`/`rw`; none keeps each mount's own). */
export interface VolumesFromRef {
  kind: 'service' | 'container';
  name: string;
  mode?: 'ro' | 'rw';
}

/** Container ids as runc and crun take them (ctnr's own rule for `--name`). */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/**
 * `SERVICE[:ro|rw]` (compose's form), `service:SERVICE[:ro|rw]`, or `container:ID[:ro|rw]` (a container ctnr
 * started, as `ctnr ps` lists it). A string is the reason the entry is none of them.
 */
export function parseVolumesFrom(entry: string): VolumesFromRef | string {
  const parts = entry.split(':');
  let kind: VolumesFromRef['kind'] = 'service';
  if ((parts[0] === 'container' || parts[0] === 'service') && parts.length >= 2 && parts[1] !== 'ro' && parts[1] !== 'rw') {
    kind = parts.shift() as VolumesFromRef['kind'];
  }
  const [name = '', mode, ...rest] = parts;
  const form = '(expected SERVICE, service:SERVICE or container:ID, each optionally followed by :ro or :rw)';
  if (rest.length > 0 || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) return `"${entry}" is not a volumes_from entry ${form}`;
  if (kind === 'service' && !SERVICE_NAME.test(name)) return `"${name}" is not a service name ${form}`;
  if (kind === 'container' && !CONTAINER_ID.test(name)) return `"${name}" is not a container id ${form}`;
  return mode === undefined ? { kind, name } : { kind, name, mode };
}
