import { describe, expect, it } from 'vitest';
import { cgroupDirs } from '../../../src/runtime/leftovers.js';

/** Recorded on a cgroup v1 host with the cgroup2 hierarchy at /sys/fs/cgroup/unified (the CI VM), nested memory cgroup. */
const HYBRID_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
4:memory:/process_api/4863
2:cpuacct:/
1:cpu:/
0::/
`;

/** A pure cgroup v2 host, the caller in a user session's scope; a v1 pair of controllers mounted together. */
const V2_MOUNTINFO = '30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';
const V2_CGROUP = '0::/user.slice/user-1000.slice/session-3.scope\n';
const PAIR_MOUNTINFO = '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n';

describe('cgroups a killed runtime leaves (runc cgroupfs layout)', () => {
  it('below the caller\'s own cgroup of every hierarchy when the spec has no cgroupsPath', () => {
    expect(cgroupDirs('p-web', undefined, HYBRID_CGROUP, HYBRID_MOUNTINFO).sort()).toEqual([
      '/sys/fs/cgroup/cpu/p-web',
      '/sys/fs/cgroup/cpuacct/p-web',
      '/sys/fs/cgroup/memory/process_api/4863/p-web',
      '/sys/fs/cgroup/systemd/p-web',
      '/sys/fs/cgroup/unified/p-web',
    ]);
    expect(cgroupDirs('p-web', undefined, V2_CGROUP, V2_MOUNTINFO)).toEqual(['/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/p-web']);
    expect(cgroupDirs('p-web', undefined, '1:cpu,cpuacct:/\n', PAIR_MOUNTINFO)).toEqual(['/sys/fs/cgroup/cpu,cpuacct/p-web']);
  });

  it('at an absolute cgroupsPath from the hierarchy root; relative ones below the own cgroup', () => {
    expect(cgroupDirs('p-web', '/ctnr/p-web', V2_CGROUP, V2_MOUNTINFO)).toEqual(['/sys/fs/cgroup/ctnr/p-web']);
    expect(cgroupDirs('p-web', 'ctnr/p-web', V2_CGROUP, V2_MOUNTINFO)).toEqual(['/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/ctnr/p-web']);
  });

  it('never a cgroup not named for the container, the hierarchy root, or one outside what is mounted', () => {
    expect(cgroupDirs('p-web', '/user.slice', V2_CGROUP, V2_MOUNTINFO)).toEqual([]);
    expect(cgroupDirs('p-web', '/', V2_CGROUP, V2_MOUNTINFO)).toEqual([]);
    expect(cgroupDirs('p-web', '/a/../../p-web', V2_CGROUP, V2_MOUNTINFO)).toEqual(['/sys/fs/cgroup/p-web']);
    // A container's view: only /docker/abc of the hierarchy is mounted at /sys/fs/cgroup.
    const nested = '30 23 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n';
    expect(cgroupDirs('p-web', '/other/p-web', '0::/docker/abc\n', nested)).toEqual([]);
    expect(cgroupDirs('p-web', undefined, '0::/docker/abc\n', nested)).toEqual(['/sys/fs/cgroup/p-web']);
  });
});
