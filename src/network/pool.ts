/**
 * Where the built-in network config takes one /24 per network from (the network hook's `subnetPool` option). Its own
 * module: the network hook plugin loads with every spec, and the allocator's module would bring node:crypto with it.
 */
export const DEFAULT_SUBNET_POOL = '10.88.0.0/16';
