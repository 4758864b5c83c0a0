import { SERVICE_NAME } from '../../src/compose/names.js';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import type { Operation } from '../../src/engine/types.js';
import { cleanDestination } from '../../src/spec/mounts.js';
import type { Mount } from '../../src/spec/types.js';

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

/** The plugins whose mounts are a container's volumes and binds (what `volumes_from` shares), by name. */
export const VOLUME_PLUGINS: readonly string[] = ['ctnr:volumes', 'ctnr:image-volumes', 'ctnr:volumes-from'];

const withMode = (options: readonly string[] | undefined, mode: VolumesFromRef['mode']): string[] => {
  const rest = (options ?? []).filter((o) => o !== 'ro' && o !== 'rw' && (mode !== 'rw' || o !== 'rro'));
  return mode === 'ro' ? [...rest, 'ro'] : mode === 'rw' ? rest : [...(options ?? [])];
};

/**
 * `volumes_from` → the other container's volumes and binds, mounted at the same places (docker's rule): a
 * service of the project (its first replica) or a container ctnr started, as `env.containers` describes it
 * (`ctnr up`/`run` fill it from their records). `:ro` makes every shared mount read-only, `:rw` writable; without
 * a mode each keeps its own. The service's own mounts win over shared ones at the same destination, and the
 * first entry naming a destination wins over later ones; image VOLUMEs it now gets are not made anonymous
 * again (this runs before ctnr:image-volumes). What cannot be resolved is a located error: a malformed entry, a
 * service without a container, a container ctnr does not know, or no `env.containers` at all (`ctnr spec`).
 */
export function volumesFromPlugin() {
  return definePlugin({
    name: 'ctnr:volumes-from',
    stage: 'mounts',
    after: ['ctnr:tmpfs', 'ctnr:volumes'],
    before: ['ctnr:image-volumes'],
    apply({ service, spec, env, error }) {
      const entries = service.volumes_from ?? [];
      if (entries.length === 0) return [];
      const taken = new Set((spec.mounts ?? []).map((m) => cleanDestination(m.destination)));
      const mounts: Mount[] = [];
      entries.forEach((entry, i) => {
        const ref = parseVolumesFrom(entry);
        if (typeof ref === 'string') return error(ref, ['volumes_from', i]);
        const what = ref.kind === 'service' ? `service ${ref.name}` : `container ${ref.name}`;
        if (env.containers === undefined) {
          return error(`volumes_from "${entry}": the mounts of ${what} are known once it runs: ctnr up and ctnr run resolve them (ctnr spec and bundle cannot)`, ['volumes_from', i]);
        }
        const facts = env.containers[ref.name];
        if (facts === undefined || (ref.kind === 'container' && facts.id !== ref.name)) {
          const hint = ref.kind === 'service' ? 'it has no container: ctnr up starts it first' : 'it is not a container ctnr started (ctnr ps lists them)';
          return error(`volumes_from "${entry}": ${what}: ${hint}`, ['volumes_from', i]);
        }
        for (const m of facts.mounts ?? []) {
          const dest = cleanDestination(m.destination);
          if (taken.has(dest)) continue;
          taken.add(dest);
          mounts.push({ ...m, ...(m.options !== undefined || ref.mode !== undefined ? { options: withMode(m.options, ref.mode) } : {}) } as Mount);
        }
      });
      if (mounts.length === 0) return [];
      const out: Operation[] = spec.mounts === undefined ? [ops.add('/mounts', [])] : [];
      for (const m of mounts) out.push(ops.add('/mounts/-', m));
      return out;
    },
  });
}
