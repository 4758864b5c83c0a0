import type { Plugin } from '../../src/types.js';
import { etcFilesPlugin } from '../../plugins/etc-files.js';
import { hostnamePlugin } from '../../plugins/hostname.js';
import { namespacesPlugin } from '../../plugins/namespaces.js';
import { sysctlsPlugin, type SysctlsOptions } from '../../plugins/sysctls.js';

export interface NetworkStageOptions {
  sysctls?: SysctlsOptions;
}

/** The network stage: namespaces first; hostname, sysctls and the /etc files read the namespaces it decided. */
export function networkPlugins(options: NetworkStageOptions = {}): Plugin[] {
  return [namespacesPlugin(), hostnamePlugin(), sysctlsPlugin(options.sysctls), etcFilesPlugin()];
}
