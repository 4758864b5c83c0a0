import { definePlugin } from '../../src/engine/define.js';

/** Runtimes reject a process without args; say so at generation time, pointing at the service. */
export function argsRequiredPlugin() {
  return definePlugin({
    name: 'ctnr:args-required',
    stage: 'process',
    enforce: 'post',
    apply({ spec, error }) {
      if ((spec.process?.args?.length ?? 0) === 0) {
        error('nothing to run: set "command" or "entrypoint" (or give an image config with Cmd/Entrypoint)', []);
      }
      return [];
    },
  });
}
