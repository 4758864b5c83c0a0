import { closeSync, fstatSync, openSync, readFileSync, constants } from 'node:fs';
import path from 'node:path';

/** containers/storage's record of every container can grow with them; past this it is not read. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * The image podman created container `id` from (`docker.io/library/nginx:1.27`), as containers/storage records it:
 * podman puts no image name in the OCI spec (the CRI does: src/policy/subject.ts), but its bundle is
 * `<storage root>/<driver>-containers/<id>/userdata`, and `<driver>-containers/containers.json` beside it holds each
 * container's `metadata`, whose `image-name` is the reference podman resolved. Read only when that file belongs to
 * this process's user and nobody else may write it (a name from a file another user controls must not decide a
 * policy); anything unexpected gives undefined, and the image is then not judged.
 */
export function podmanImageName(id: string, bundle: string): string | undefined {
  const containerDir = path.dirname(path.resolve(bundle));
  if (path.basename(path.resolve(bundle)) !== 'userdata' || path.basename(containerDir) !== id) return undefined;
  const storeDir = path.dirname(containerDir);
  if (!/^[a-z0-9]+-containers$/.test(path.basename(storeDir))) return undefined;
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(path.join(storeDir, 'containers.json'), constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== (process.geteuid?.() ?? st.uid) || (st.mode & 0o022) !== 0 || st.size > MAX_RECORD_BYTES) return undefined;
    text = readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  try {
    const records = JSON.parse(text) as unknown;
    if (!Array.isArray(records)) return undefined;
    const mine = records.find((r): r is { metadata?: unknown } => typeof r === 'object' && r !== null && (r as { id?: unknown }).id === id);
    if (typeof mine?.metadata !== 'string') return undefined;
    const name = (JSON.parse(mine.metadata) as { 'image-name'?: unknown })['image-name'];
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}
