import { definePlugin } from '../../src/engine/define.js';
import { cleanDestination, mergeMountOptions, placeMount, TMPFS_DEFAULT_OPTIONS } from '../../src/spec/mounts.js';
import type { Operation } from '../../src/engine/types.js';

/**
 * Compose `tmpfs:` → real tmpfs mounts (`type: tmpfs`, never a bind of a directory), with docker's
 * `noexec,nosuid,nodev` defaults that the user's options override (`exec`, `size=…`, `mode=…`). A tmpfs on a
 * destination the engine already mounts (e.g. `/dev/shm`) replaces that mount; two tmpfs entries on one
 * destination are an error (the volumes plugin checks clashes with `volumes:`).
 */
export function tmpfsPlugin() {
  return definePlugin({
    name: 'ctnr:tmpfs',
    stage: 'mounts',
    apply({ service, spec, error }) {
      const list = service.tmpfs ?? [];
      if (list.length === 0) return [];
      const out: Operation[] = spec.mounts === undefined ? [{ op: 'add', path: '/mounts', value: [] }] : [];
      const seen = new Map<string, number>();
      list.forEach((t, i) => {
        if (!t.target.startsWith('/')) {
          error(`tmpfs path "${t.target}" must be absolute`, ['tmpfs', i]);
          return;
        }
        const dest = cleanDestination(t.target);
        const first = seen.get(dest);
        if (first !== undefined) {
          error(`duplicate mount point ${dest} (also tmpfs[${first}])`, ['tmpfs', i]);
          return;
        }
        seen.set(dest, i);
        out.push(placeMount(spec.mounts, { destination: dest, type: 'tmpfs', source: 'tmpfs', options: mergeMountOptions(TMPFS_DEFAULT_OPTIONS, t.options) }));
      });
      return out;
    },
  });
}
