import { definePlugin } from '../../src/engine/define.js';
import { cleanDestination, isCleanAncestor, pathDepth } from '../../src/spec/mounts.js';

/**
 * Mount order: a mount must come after every mount on a parent path, or the parent hides it (a volume on
 * `/data` listed after a tmpfs on `/data/cache`). Docker sorts user mounts by depth; here the spec is
 * reordered (a stable sort by depth) only when some mount precedes a parent, so ordinary specs are left
 * exactly as the earlier plugins wrote them. Runs last in the mounts stage.
 */
export function mountOrderPlugin() {
  return definePlugin({
    name: 'ctnr:mount-order',
    stage: 'mounts',
    enforce: 'post',
    apply({ spec }) {
      const mounts = spec.mounts ?? [];
      // Every service pays for this check and almost none is misplaced: clean each destination once and
      // compare indexes instead of slicing the list and re-normalising both paths per pair.
      const dests = mounts.map((m) => cleanDestination(m.destination));
      let misplaced = false;
      for (let i = 0; i < dests.length && !misplaced; i++) {
        for (let j = i + 1; j < dests.length; j++) {
          if (isCleanAncestor(dests[j]!, dests[i]!)) {
            misplaced = true;
            break;
          }
        }
      }
      if (!misplaced) return [];
      const sorted = mounts.map((m, i) => ({ m, i, d: pathDepth(m.destination) })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.m);
      return [{ op: 'replace', path: '/mounts', value: sorted }];
    },
  });
}
