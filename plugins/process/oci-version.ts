import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';

const VERSION = /^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/**
 * `ociVersion` for the runtime that will run the bundle. ctnr targets runtime-spec 1.2.0, but some runtimes
 * refuse a newer version than they know (crun 1.8 answers "unknown version specified" to 1.2.0) even when the
 * spec uses nothing newer. `env.ociVersion`, set by `ctnr run`/`up` from the chosen runtime, lowers it. Runs
 * first so later plugins (the network hook picks createRuntime or prestart) see the version they target.
 */
export function ociVersionPlugin() {
  return definePlugin({
    name: 'ctnr:oci-version',
    stage: 'process',
    enforce: 'pre',
    apply({ spec, env, error }) {
      const wanted = env.ociVersion;
      if (wanted === undefined || wanted === spec.ociVersion) return [];
      if (typeof wanted !== 'string' || !VERSION.test(wanted)) {
        error(`env.ociVersion must be a 1.x.y runtime-spec version, got ${JSON.stringify(wanted)}`);
        return [];
      }
      return [ops.replace('/ociVersion', wanted)];
    },
  });
}
