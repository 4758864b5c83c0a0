import { lstatSync } from 'node:fs';
import path from 'node:path';
import { isVolumeName, namedVolumeDir, volumeIdentity, type TopLevelVolume } from '../../../plugins/mounts/volumes.js';
import type { ComposeProject } from '../../compose/compose-project.js';
import { removeTree } from '../../image/rootfs.js';
import { containerStatus, listRecords, runRoot } from '../../runtime/state.js';

/**
 * `down -v`: once the project's containers are gone, the named volumes its file declares, as `docker compose down
 * -v` removes them: `<dataDir>/volumes/<name>` of each entry of the top-level `volumes:` that ctnr made. Never an
 * `external` volume (someone else's), nor a local-driver bind (`driver_opts.device`: the user's host directory), nor
 * a name that is not one path segment; and not a volume a container still running uses (another project's, or one
 * a failed pre_stop hook kept): that one is kept, and said. Anonymous volumes live in the bundles, which down
 * removes anyway. Returns what was removed and the notes to show.
 */
export async function removeProjectVolumes(compose: ComposeProject, dataDir: string): Promise<{ removed: string[]; notes: string[] }> {
  const table = (compose.project.volumes ?? {}) as Record<string, TopLevelVolume | null>;
  const mounted = mountedSources();
  const removed: string[] = [];
  const notes: string[] = [];
  for (const [key, entry] of Object.entries(table)) {
    const { name, external, device } = volumeIdentity(compose.name, key, entry ?? {});
    if (external || device !== undefined || !isVolumeName(name)) continue;
    const dir = namedVolumeDir({ dataDir }, name);
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue; // never created: no service used it
    }
    if (!st.isDirectory()) {
      notes.push(`volume ${name}: ${dir} is not a directory ctnr made; left as it is`);
      continue;
    }
    // A volume's subpath bound somewhere counts as the volume.
    const user = mounted.find((m) => m.source === dir || m.source.startsWith(`${dir}/`))?.id;
    if (user) {
      notes.push(`volume ${name} is kept: ${user} still uses it`);
      continue;
    }
    await removeTree(dir);
    removed.push(name);
  }
  return { removed, notes };
}

/** The host sources the running containers ctnr knows bind, each with the container. */
function mountedSources(): Array<{ source: string; id: string }> {
  const out: Array<{ source: string; id: string }> = [];
  for (const rec of listRecords(runRoot())) {
    const status = containerStatus(rec);
    if (status === undefined || status === 'stopped') continue;
    for (const m of rec.mounts ?? []) if (typeof m.source === 'string' && path.isAbsolute(m.source)) out.push({ source: path.normalize(m.source), id: rec.id });
  }
  return out;
}
