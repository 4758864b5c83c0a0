/**
 * The largest scalar ctnr accepts in a compose file. Nothing in a container spec can use more: the kernel takes
 * at most 128 KiB per argument or environment string (MAX_ARG_STRLEN), and labels, hosts entries and paths are
 * far smaller. Refusing earlier keeps a hostile file from costing seconds and gigabytes in interpolation, shell
 * splitting and serialisation (a 50 MB scalar did). checkNodes (duplicates.ts) finds the first one.
 */
export const MAX_SCALAR_BYTES = 1 << 20;

