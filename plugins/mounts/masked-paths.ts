import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import type { Operation } from '../../src/engine/types.js';

/** podman's glob for `unmask=`: `*` and `?` within one path component. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/**
 * The masked and read-only `/proc` and `/sys` paths (docker's lists are in the base spec) and the
 * `security_opt` keys that change them: `systempaths=unconfined` (docker) clears both lists;
 * `unmask=ALL|PATH[:PATH…]` (podman, globs allowed) removes paths from both; `mask=PATH[:PATH…]` (podman)
 * masks more. `privileged` clears them later, in its own stage.
 */
export function maskedPathsPlugin() {
  return definePlugin({
    name: 'ctnr:masked-paths',
    stage: 'mounts',
    apply({ service, spec, error }) {
      const opts = (service.security_opt ?? []).filter((o) => ['systempaths', 'mask', 'unmask'].includes(o.key));
      if (opts.length === 0) return [];
      let unconfined = false;
      const unmask: RegExp[] = [];
      let unmaskAll = false;
      const mask: string[] = [];
      for (const o of opts) {
        const where = ['security_opt', o.index];
        if (o.key === 'systempaths') {
          if (o.value !== 'unconfined') error(`systempaths takes only "unconfined", not "${o.value}"`, where);
          else unconfined = true;
          continue;
        }
        const paths = o.value.split(':');
        if (o.value === '' || paths.some((p) => p === '')) {
          error(`${o.key} needs a colon-separated list of absolute paths${o.key === 'unmask' ? ' or ALL' : ''}`, where);
          continue;
        }
        if (o.key === 'unmask' && o.value === 'ALL') {
          unmaskAll = true;
          continue;
        }
        const relative = paths.find((p) => !p.startsWith('/'));
        if (relative !== undefined) {
          error(`${o.key}: "${relative}" is not an absolute path`, where);
          continue;
        }
        if (o.key === 'mask') mask.push(...paths);
        else unmask.push(...paths.map(globToRegExp));
      }
      const out: Operation[] = [];
      const linux = spec.linux;
      if (unconfined) {
        if (linux?.maskedPaths !== undefined) out.push(ops.remove('/linux/maskedPaths'));
        if (linux?.readonlyPaths !== undefined) out.push(ops.remove('/linux/readonlyPaths'));
        return out;
      }
      const keep = (p: string) => !unmaskAll && !unmask.some((re) => re.test(p));
      const masked = [...new Set([...(linux?.maskedPaths ?? []).filter(keep), ...mask])];
      const readonly = (linux?.readonlyPaths ?? []).filter(keep);
      if (JSON.stringify(masked) !== JSON.stringify(linux?.maskedPaths ?? [])) out.push(ops.set(spec, '/linux/maskedPaths', masked));
      if (JSON.stringify(readonly) !== JSON.stringify(linux?.readonlyPaths ?? [])) out.push(ops.set(spec, '/linux/readonlyPaths', readonly));
      if (out.length > 0 && linux === undefined) out.unshift(ops.add('/linux', {}));
      return out;
    },
  });
}
