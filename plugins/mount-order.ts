import { definePlugin } from '../src/define.js';
import { isAncestor, pathDepth } from '../src/mounts.js';

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
      const misplaced = mounts.some((m, i) => mounts.slice(i + 1).some((later) => isAncestor(later.destination, m.destination)));
      if (!misplaced) return [];
      const sorted = mounts.map((m, i) => ({ m, i, d: pathDepth(m.destination) })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.m);
      return [{ op: 'replace', path: '/mounts', value: sorted }];
    },
  });
}
