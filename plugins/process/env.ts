import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';

/**
 * `process.env`: base PATH, then image Env, then (with a tty) TERM=xterm, then the service's `environment`
 * (already resolved by the loader). A key set again replaces the earlier entry in place, so the order is the
 * order of first appearance — deterministic for the same input.
 */
export function envPlugin() {
  return definePlugin({
    name: 'ctnr:env',
    stage: 'process',
    apply({ service, image, spec }) {
      // Name → the `NAME=value` entry: an entry that stays as it was is kept as the same string, not rebuilt.
      const entries = new Map<string, string>();
      const put = (item: string) => {
        const eq = item.indexOf('=');
        entries.set(eq < 0 ? item : item.slice(0, eq), eq < 0 ? `${item}=` : item);
      };
      for (const item of spec.process?.env ?? []) put(item);
      for (const item of image?.Env ?? []) put(item);
      if (service.tty && !entries.has('TERM')) entries.set('TERM', 'TERM=xterm');
      for (const [k, v] of service.environment ?? []) entries.set(k, `${k}=${v}`);
      const env = [...entries.values()];
      const current = spec.process?.env ?? [];
      if (env.length === current.length && env.every((e, i) => e === current[i])) return [];
      return [ops.set(spec, '/process/env', env)];
    },
  });
}
