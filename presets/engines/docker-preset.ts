import { shippedPreset } from '../../src/engine/reserved.js';
import { CtnrError } from '../../src/engine/errors.js';
import type { Plugin, Preset } from '../../src/engine/types.js';
import { seccompPlugin } from '../../plugins/seccomp/seccomp.js';
import { defaultPreset } from '../default.js';
import { DOCKER_20_MASKED_PATHS, DOCKER_READONLY_PATHS, DOCKER_VERSIONS, type DockerVersion } from './docker.js';
import {
  docker20PrivilegedCapsPlugin, docker20SeccompErrnoPlugin, docker20ZeroResourcesPlugin, dockerCgroupMountPlugin, dockerDeviceWildcardsPlugin, dockerDomainnamePlugin,
  dockerEtcFilesPlugin, dockerHostname, dockerInitMountPlugin, dockerOomScoreAdjPlugin, dockerShmBindPlugin, dockerTimeNamespacePlugin,
  dockerUserMountsPlugin,
} from './docker-plugins.js';
import type { HostFacts } from './host.js';
import { additionalGidsPlugin, engineEtcFilesPlugin, envDefaultsPlugin, hostShmPlugin, systemPathsPlugin } from './plugins.js';
import { engineSeccomp } from './seccomp.js';

export interface DockerPresetOptions {
  /** Which dockerd to reproduce: 29 (default, current) or 20 (20.10, Debian 12's docker.io). */
  version?: DockerVersion;
  /** Facts of the host that will run the bundle (its hostname, for host networking); read from this machine when not given. */
  host?: HostFacts;
  /**
   * Docker 29 writes a read-only bind as `rro` (recursively read-only) when the runtime supports it (runc ≥ 1.1 on
   * Linux ≥ 5.12; `runc features` lists `rro`), else `ro`. Default true; ignored for version 20.
   */
  recursiveReadOnly?: boolean;
  /**
   * Docker 29 gives every container a time namespace on Linux ≥ 5.6 (and ships a runc that knows them). Default
   * false: runc < 1.2 (Debian 12's 1.1.5) refuses a spec with one (`namespace {"time" ""} does not exist`), so
   * the preset leaves it out unless asked. Ignored for version 20.
   */
  timeNamespace?: boolean;
}

/**
 * The default pipeline as dockerd itself generates specs, for docker 29 (default) or docker 20.10: docker's
 * plugins (docker-plugins.ts) on top of `default`. What still differs from the config.json dockerd 20.10 wrote
 * for the parity corpus is listed, with the reason, in docs/presets.md ("Parity with the engines"); what differs
 * between the two versions is taken from moby's source at v20.10.24 and docker-v29.7.2 (same section).
 */
export function dockerPreset(options: DockerPresetOptions = {}): Preset {
  const version = options.version ?? 29;
  if (!DOCKER_VERSIONS.includes(version)) {
    throw new CtnrError('PLUGIN_OPTIONS', `options.version: must be one of ${DOCKER_VERSIONS.join(', ')} (got ${JSON.stringify(version)})`, { plugin: 'ctnr:preset-docker' });
  }
  const host = options.host;
  const hostname = dockerHostname(host);
  const plugins: Plugin[] = [
    additionalGidsPlugin('docker:additional-gids', 'docker'),
    dockerOomScoreAdjPlugin(),
    dockerInitMountPlugin(),
    dockerUserMountsPlugin(version >= 29 && options.recursiveReadOnly !== false),
    dockerCgroupMountPlugin(),
    dockerDeviceWildcardsPlugin(),
    engineEtcFilesPlugin('docker:host-files', hostname),
    dockerEtcFilesPlugin(),
    // CreateDaemonEnvironment: PATH, HOSTNAME (the container's Config.Hostname), TERM with a tty.
    envDefaultsPlugin('docker:hostname-env', (ctx) => [['HOSTNAME', hostname(ctx)]]),
    dockerDomainnamePlugin(),
    hostShmPlugin('docker:ipc-host', ['rbind', 'rprivate']),
    dockerShmBindPlugin(),
  ];
  if (version === 20) {
    plugins.push(
      systemPathsPlugin('docker:system-paths', { masked: DOCKER_20_MASKED_PATHS, readonly: DOCKER_READONLY_PATHS }),
      seccompPlugin({ defaultProfile: engineSeccomp('docker-20.10') }),
      docker20SeccompErrnoPlugin(),
      docker20PrivilegedCapsPlugin(),
      docker20ZeroResourcesPlugin(),
    );
  } else if (options.timeNamespace === true) {
    plugins.push(dockerTimeNamespacePlugin());
  }
  return shippedPreset({ name: 'ctnr:preset-docker', presets: [defaultPreset()], plugins });
}
