import type { Plugin } from '../../src/engine/types.js';
import { etcFilesPlugin } from './etc-files.js';
import { hostnamePlugin } from './hostname.js';
import { namespacesPlugin } from './namespaces.js';
import { sysctlsPlugin, type SysctlsOptions } from './sysctls.js';

export interface NetworkStageOptions {
  sysctls?: SysctlsOptions;
}

/** The network stage: namespaces first; hostname, sysctls and the /etc files read the namespaces it decided. */
export function networkPlugins(options: NetworkStageOptions = {}): Plugin[] {
  return [namespacesPlugin(), hostnamePlugin(), sysctlsPlugin(options.sysctls), etcFilesPlugin()];
}
