import { isAlias, isCollection, isPair, isScalar, type Document, type Scalar } from 'yaml';

/**
 * The largest scalar ctnr accepts in a compose file. Nothing in a container spec can use more: the kernel takes
 * at most 128 KiB per argument or environment string (MAX_ARG_STRLEN), and labels, hosts entries and paths are
 * far smaller. Refusing earlier keeps a hostile file from costing seconds and gigabytes in interpolation, shell
 * splitting and serialisation (a 50 MB scalar did).
 */
export const MAX_SCALAR_BYTES = 1 << 20;

/** The first scalar (in document order) longer than `limit` characters, keys included; aliases not followed. */
export function findOversizedScalar(doc: Document, limit = MAX_SCALAR_BYTES): Scalar | undefined {
  let first: Scalar | undefined;
  const stack: unknown[] = [doc.contents];
  const consider = (node: Scalar) => {
    if (typeof node.value === 'string' && node.value.length > limit && (first === undefined || (node.range?.[0] ?? 0) < (first.range?.[0] ?? 0))) first = node;
  };
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) continue;
    if (isScalar(node)) {
      consider(node);
      continue;
    }
    if (!isCollection(node)) continue;
    for (const item of node.items as unknown[]) {
      if (isPair(item)) stack.push(item.key, item.value);
      else stack.push(item);
    }
  }
  return first;
}
