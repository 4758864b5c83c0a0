import type { Plugin } from '../../src/types.js';
import { blkioPlugin } from '../../plugins/blkio.js';
import { cgroupMountPlugin, type CgroupMountOptions } from '../../plugins/cgroup-mount.js';
import { cgroupNamespacePlugin } from '../../plugins/cgroup-namespace.js';
import { cgroupsPathPlugin } from '../../plugins/cgroups-path.js';
import { cpuPlugin } from '../../plugins/cpu.js';
import { deviceCgroupRulesPlugin } from '../../plugins/device-cgroup-rules.js';
import { devicesPlugin } from '../../plugins/devices.js';
import { memoryPlugin } from '../../plugins/memory.js';
import { pidsPlugin } from '../../plugins/pids.js';

export interface CgroupsStageOptions {
  cgroupMount?: CgroupMountOptions;
}

/** The cgroups stage: resource limits, devices and their rules, cgroup path, namespace and mount. */
export function cgroupsPlugins(options: CgroupsStageOptions = {}): Plugin[] {
  return [
    memoryPlugin(),
    cpuPlugin(),
    pidsPlugin(),
    blkioPlugin(),
    devicesPlugin(),
    deviceCgroupRulesPlugin(),
    cgroupsPathPlugin(),
    cgroupNamespacePlugin(),
    cgroupMountPlugin(options.cgroupMount),
  ];
}
