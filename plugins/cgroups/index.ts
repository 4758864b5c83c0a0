import type { Plugin } from '../../src/engine/types.js';
import { blkioPlugin } from './blkio.js';
import { cdiPlugin } from './cdi.js';
import { cgroupMountPlugin, type CgroupMountOptions } from './cgroup-mount.js';
import { cgroupNamespacePlugin } from './cgroup-namespace.js';
import { cgroupsPathPlugin } from './cgroups-path.js';
import { cpuPlugin } from './cpu.js';
import { deviceCgroupRulesPlugin } from './device-cgroup-rules.js';
import { devicesPlugin } from './devices.js';
import { memoryPlugin } from './memory.js';
import { pidsPlugin } from './pids.js';

export interface CgroupsStageOptions {
  cgroupMount?: CgroupMountOptions;
}

/** The cgroups stage: resource limits, devices and their rules, CDI devices, cgroup path, namespace and mount. */
export function cgroupsPlugins(options: CgroupsStageOptions = {}): Plugin[] {
  return [
    memoryPlugin(),
    cpuPlugin(),
    pidsPlugin(),
    blkioPlugin(),
    devicesPlugin(),
    deviceCgroupRulesPlugin(),
    cdiPlugin(),
    cgroupsPathPlugin(),
    cgroupNamespacePlugin(),
    cgroupMountPlugin(options.cgroupMount),
  ];
}
