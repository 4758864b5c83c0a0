import path from 'node:path';

/**
 * Where a volume, bind or tmpfs may go in the container, as docker and runc decide it:
 * - never `/` itself (docker: "destination can't be '/'"): the root filesystem is the bundle's `root`;
 * - never over `/proc` or below it: runc refuses such a mount (crun accepted it and ran the container without
 *   procfs). The exceptions are runc's: single files lxcfs-style tools bind over to virtualise what a
 *   container sees (`/proc/cpuinfo`, `/proc/meminfo`, …).
 * Returns why a target is refused, or undefined when it is fine. The target is compared normalised
 * (`//`, `/tmp/..` are `/`).
 */
const PROC_FILES_RUNC_ALLOWS = new Set([
  '/proc/cpuinfo',
  '/proc/diskstats',
  '/proc/meminfo',
  '/proc/stat',
  '/proc/swaps',
  '/proc/uptime',
  '/proc/loadavg',
  '/proc/slabinfo',
  '/proc/net/dev',
  '/proc/sys/kernel/ns_last_pid',
]);

export function mountTargetProblem(target: string): string | undefined {
  if (!target.startsWith('/')) return undefined; // "must be absolute" is reported by the caller
  const t = path.posix.normalize(target).replace(/(.)\/+$/, '$1');
  if (t === '/') return 'a mount cannot replace the container\'s root "/" (the root filesystem comes from --rootfs or the image)';
  if ((t === '/proc' || t.startsWith('/proc/')) && !PROC_FILES_RUNC_ALLOWS.has(t)) {
    return `a mount over ${t} would hide the container's procfs (runc refuses it; only single files such as /proc/cpuinfo may be bound over)`;
  }
  return undefined;
}
