import { definePlugin } from '../../src/engine/define.js';
import type { BundleFile, Operation } from '../../src/engine/types.js';
import { cleanDestination } from '../../src/spec/mounts.js';
import { anonymousVolumePath } from './volumes.js';

/**
 * The image's `VOLUME`s, as docker treats them: every path the image declares gets an anonymous volume (a
 * directory inside the bundle, like the service's own anonymous volumes) unless something is already mounted
 * exactly there — a service volume, tmpfs, secret or config wins. Paths go in sorted order, so the output
 * does not depend on the image config's key order. (Like ctnr's other anonymous volumes, the new directory
 * starts empty: the image's files at that path are not copied in.)
 */
export function imageVolumesPlugin() {
  return definePlugin({
    name: 'ctnr:image-volumes',
    stage: 'mounts',
    after: ['ctnr:tmpfs', 'ctnr:volumes', 'ctnr:secrets', 'ctnr:configs'],
    apply({ image, spec, warn }) {
      const declared = Object.keys(image?.Volumes ?? {});
      if (declared.length === 0) return [];
      const taken = new Set((spec.mounts ?? []).map((m) => cleanDestination(m.destination)));
      const out: Operation[] = spec.mounts === undefined ? [{ op: 'add', path: '/mounts', value: [] }] : [];
      const files: BundleFile[] = [];
      for (const raw of [...new Set(declared.map((p) => (p.startsWith('/') ? cleanDestination(p) : p)))].sort()) {
        if (!raw.startsWith('/')) {
          warn(`the image declares VOLUME "${raw}", which is not an absolute path: left out`);
          continue;
        }
        // Whatever is mounted there already (the user's mount, or an engine mount such as /dev/shm) stays.
        if (taken.has(raw)) continue;
        const source = anonymousVolumePath(raw);
        files.push({ path: source, kind: 'directory', mode: 0o755 });
        out.push({ op: 'add', path: '/mounts/-', value: { destination: raw, type: 'bind', source, options: ['rbind', 'rprivate'] } });
        taken.add(raw);
      }
      return { ops: out, files };
    },
  });
}
