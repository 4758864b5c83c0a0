import { definePlugin } from '../../src/engine/define.js';
import { cleanDestination } from '../../src/spec/mounts.js';
import { mountFiles, type FileMountRules } from './secrets.js';

export const CONFIGS_DIR = 'configs';

const CONFIG_RULES: FileMountRules = {
  kind: 'config',
  key: 'configs',
  bundleDir: CONFIGS_DIR,
  defaultTarget: (source) => `/${source}`,
  // compose-spec gives configs no base directory: a relative target is taken from the container's root.
  relativeTarget: (target) => cleanDestination(`/${target}`),
  secret: false,
};

/**
 * Compose `configs:` → files at `/<source>` (or `target`), each a read-only bind of a file the bundle writer
 * creates in the bundle's `configs/` folder from `file:`, `environment:` or inline `content:`, with the
 * requested owner and mode (default 0444, root). Same mechanism and rules as ctnr:secrets (see there); a
 * config is not secret, but it is still a copy, never a bind of the host file.
 */
export function configsPlugin() {
  return definePlugin({
    name: 'ctnr:configs',
    stage: 'mounts',
    apply: (ctx) => mountFiles(ctx, CONFIG_RULES),
  });
}
