import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';

/**
 * `tty: true` → `process.terminal`. `stdin_open` has no field in config.json: the runtime keeps stdin
 * attached (`ctnr run` forwards it), so it is read there, not here.
 */
export function terminalPlugin() {
  return definePlugin({
    name: 'ctnr:terminal',
    stage: 'process',
    apply({ service, spec }) {
      return service.tty ? [ops.set(spec, '/process/terminal', true)] : [];
    },
  });
}
