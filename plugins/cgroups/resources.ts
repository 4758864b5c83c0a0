import type { PluginContext } from '../../src/engine/types.js';

/**
 * Shared by the cgroups-stage plugins. An unprivileged user has no cgroup to write limits into (runc fails
 * "rootless container cannot set … without cgroup delegation" on this machine's cgroup v1), so in rootless
 * mode each plugin writes nothing and names every limit it dropped.
 */
export function dropForRootless(ctx: Pick<PluginContext, 'env' | 'warn'>, given: ReadonlyArray<[string | Array<string | number>, unknown]>): boolean {
  if (!ctx.env.rootless) return false;
  for (const [key, value] of given) {
    if (value === undefined) continue;
    const name = typeof key === 'string' ? key : key.join('.');
    ctx.warn(`${name} is not applied: a rootless container cannot set cgroup limits`, key);
  }
  return true;
}

/**
 * One value from two compose keys that mean the same thing (`mem_limit` and
 * `deploy.resources.limits.memory`): either may be given, both only when they agree.
 */
export function eitherKey<T>(
  ctx: Pick<PluginContext, 'error'>,
  a: [string, T | undefined],
  b: [Array<string | number>, T | undefined],
  show: (v: T) => string = String,
): T | undefined {
  const [aKey, aVal] = a;
  const [bPath, bVal] = b;
  if (aVal !== undefined && bVal !== undefined && aVal !== bVal) {
    ctx.error(`${aKey} (${show(aVal)}) and ${bPath.join('.')} (${show(bVal)}) disagree; set one of them`, [aKey]);
    return undefined;
  }
  return aVal ?? bVal;
}

export const deployPath = (...rest: string[]) => ['deploy', 'resources', ...rest];
