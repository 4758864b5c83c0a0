import { lstatSync, type Stats } from 'node:fs';
import type { Device } from '../../spec/types.js';
import { describeErrno } from '../errno.js';
import { splitDevNumber } from '../devices.js';
import type { CdiDeviceNode } from './schema.js';

/**
 * A CDI `deviceNodes` entry as a runtime-spec device, the missing parts filled from the host node as CDI does
 * (`DeviceNode.fillMissingInfo`): `hostPath` defaults to `path`; the host node is `lstat`ed (a symlink is not
 * followed); a node that names its type and major (or is a FIFO) is "minimally specified" and may be absent
 * on this host; otherwise type, major and minor come from the host node, and a type that disagrees with it is
 * an error. `fileMode` comes from the host node when the entry has none. `uid`/`gid` default to the
 * container process's when those are not 0.
 *
 * Returns the device, or a message saying why the node cannot be used.
 */
export function cdiDevice(node: CdiDeviceNode, processUser: { uid?: number; gid?: number } | undefined): { device: Device; hostPath: string } | { problem: string } {
  const hostPath = node.hostPath || node.path;
  let type = node.type || undefined;
  let major = node.major ?? 0;
  let minor = node.minor ?? 0;
  let fileMode = node.fileMode;
  const minimal = type !== undefined && (major !== 0 || type === 'p');
  let st: Stats | undefined;
  try {
    st = lstatSync(hostPath);
  } catch (err) {
    if (!minimal) return { problem: `host device ${hostPath}: ${describeErrno(err)} (a node that is not on this host must give its type and major)` };
  }
  if (st) {
    const hostType = st.isBlockDevice() ? 'b' : st.isCharacterDevice() ? 'c' : st.isFIFO() ? 'p' : undefined;
    if (hostType === undefined) {
      if (!minimal) return { problem: `host device ${hostPath} is not a device node` };
    } else {
      fileMode ??= st.mode & 0o7777;
      if (!minimal) {
        type ??= hostType;
        if (type !== hostType) return { problem: `device ${node.path}: type "${type}" but the host node ${hostPath} is "${hostType}"` };
        if (type !== 'p' && major === 0) ({ major, minor } = splitDevNumber(st.rdev));
      }
    }
  }
  const device: Device = { path: node.path, type: type as Device['type'] };
  if (device.type !== 'p') {
    device.major = major;
    device.minor = minor;
  }
  if (fileMode !== undefined) device.fileMode = fileMode;
  const uid = node.uid ?? (processUser?.uid ? processUser.uid : undefined);
  const gid = node.gid ?? (processUser?.gid ? processUser.gid : undefined);
  if (uid !== undefined) device.uid = uid;
  if (gid !== undefined) device.gid = gid;
  return { device, hostPath };
}

/** CDI's cgroup access for a node: omitted or empty is `rwm`, `none` is no access; letters deduplicated in rwm order. */
export function cdiAccess(permissions: string | undefined): string {
  if (permissions === undefined || permissions === '') return 'rwm';
  if (permissions === 'none') return '';
  return ['r', 'w', 'm'].filter((c) => permissions.includes(c)).join('');
}
