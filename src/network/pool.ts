/**
 * Where the built-in network config takes one /24 per network from (the network hook's `subnetPool` option). Its own
 * module: the network hook plugin loads with every spec, and the allocator's module would bring node:crypto with it.
 */
export const DEFAULT_SUBNET_POOL = '10.88.0.0/16';

/**
 * Where a network goes when something on the host covers all of the default pool: podman's default network takes
 * 10.88.0.0/16 whole (bridge cni-podman0), so next to podman ctnr would have no subnet at all. podman gives its other
 * networks /24s of 10.89.0.0/16 upward, which the allocator steps around like any other host route.
 */
export const FALLBACK_SUBNET_POOLS: readonly string[] = Array.from({ length: 11 }, (_, i) => `10.${89 + i}.0.0/16`);

/** The pools to allocate from, in order: a pool the user chose alone; the default one with its fallbacks. */
export function subnetPools(pool: string): readonly string[] {
  return pool === DEFAULT_SUBNET_POOL ? [pool, ...FALLBACK_SUBNET_POOLS] : [pool];
}
