import { isAlias, isCollection, isMap, isPair, isScalar, type Document, type Node, type Scalar } from 'yaml';
import { MAX_SCALAR_BYTES } from './bounds.js';

/** What checkNodes finds: the first duplicate key and the first oversized scalar, in document order. */
export interface NodeProblems {
  duplicate?: Scalar;
  oversized?: Scalar;
}

/**
 * One walk over a parsed document for what yaml does not check cheaply:
 * - the first key (in document order) that appears twice in one mapping. yaml's own `uniqueKeys` check compares
 *   each new key with every earlier key of its mapping, which is quadratic: a file of 32k services took 68 s.
 *   Here each mapping gets one Set, so the check is linear in the size of the document. Keys are equal as yaml
 *   compares them: scalars with the same value (`1` and `"1"` differ; collections as keys never collide);
 * - the first scalar (keys included) longer than `limit` characters (bounds.ts says why there is a limit).
 * Aliases are not followed (what they point at is checked where it is written); the walk uses its own stack,
 * so a deeply nested document cannot overflow the call stack.
 */
export function checkNodes(doc: Document, limit = MAX_SCALAR_BYTES): NodeProblems {
  let duplicate: Scalar | undefined;
  let oversized: Scalar | undefined;
  const consider = (node: Scalar) => {
    if (typeof node.value === 'string' && node.value.length > limit && (oversized === undefined || start(node) < start(oversized))) oversized = node;
  };
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) continue;
    if (isScalar(node)) {
      consider(node);
      continue;
    }
    if (!isCollection(node)) continue;
    const seen = isMap(node) ? new Set<unknown>() : undefined;
    for (const item of node.items as unknown[]) {
      if (!isPair(item)) {
        stack.push(item);
        continue;
      }
      const key = item.key as Node | null;
      if (seen && isScalar(key)) {
        if (!seen.has(key.value)) seen.add(key.value);
        else if (duplicate === undefined || start(key) < start(duplicate)) duplicate = key;
        consider(key);
      } else stack.push(key);
      stack.push(item.value);
    }
  }
  return { ...(duplicate ? { duplicate } : {}), ...(oversized ? { oversized } : {}) };
}

function start(node: Node): number {
  return node.range?.[0] ?? Number.MAX_SAFE_INTEGER;
}
