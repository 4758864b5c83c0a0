import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';

/**
 * `process.args` with docker's rules: the service's `entrypoint` replaces the image ENTRYPOINT and discards
 * the image CMD; the service's `command` replaces CMD. Args = entrypoint ++ cmd.
 */
export function argsPlugin() {
  return definePlugin({
    name: 'ctnr:args',
    stage: 'process',
    apply({ service, image, spec }) {
      let entrypoint: readonly string[] = image?.Entrypoint ?? [];
      let cmd: readonly string[] = image?.Cmd ?? [];
      if (service.entrypoint != null) {
        entrypoint = service.entrypoint;
        cmd = [];
      }
      if (service.command != null) cmd = service.command;
      const args = [...entrypoint, ...cmd];
      if (args.length === 0) {
        return [];
      }
      return [ops.set(spec, '/process/args', args)];
    },
  });
}
