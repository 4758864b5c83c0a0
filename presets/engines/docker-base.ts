import type { Spec } from '../../src/spec/types.js';
import { DEFAULT_PATH_ENV, OCI_VERSION } from '../../src/spec/version.js';
import { DOCKER_DEFAULT_CAPS, DOCKER_DEVICE_RULES, DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS } from './docker.js';

/**
 * A fresh base spec on every call (no shared objects between services, no structuredClone: a literal is
 * ~20× cheaper). Docker's defaults (presets/engines/docker.ts, PEERS.md §3); in traces its values are owned
 * by `ctnr:base`.
 */
export function createBaseSpec(): Spec {
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [],
      env: [DEFAULT_PATH_ENV],
      cwd: '/',
      capabilities: {
        bounding: [...DOCKER_DEFAULT_CAPS],
        effective: [...DOCKER_DEFAULT_CAPS],
        permitted: [...DOCKER_DEFAULT_CAPS],
      },
    },
    root: { path: 'rootfs', readonly: false },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts', type: 'devpts', source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      resources: {
        devices: DOCKER_DEVICE_RULES.map((r) => ({ ...r })),
      },
      maskedPaths: [...DOCKER_MASKED_PATHS],
      readonlyPaths: [...DOCKER_READONLY_PATHS],
    },
  };
}
