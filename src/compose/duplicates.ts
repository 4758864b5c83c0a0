import { isAlias, isCollection, isMap, isPair, isScalar, type Document, type Node, type Scalar } from 'yaml';

/**
 * The first key (in document order) that appears twice in one mapping. yaml's own `uniqueKeys` check compares
 * each new key with every earlier key of its mapping, which is quadratic: a file of 32k services took 68 s.
 * Here each mapping gets one Set, so the check is linear in the size of the document. Keys are equal as yaml
 * compares them: scalars with the same value (`1` and `"1"` differ; collections as keys never collide).
 * Aliases are not followed (what they point at is checked where it is written); the walk uses its own stack,
 * so a deeply nested document cannot overflow the call stack.
 */
export function findDuplicateKey(doc: Document): Scalar | undefined {
  let first: Scalar | undefined;
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node) || !isCollection(node)) continue;
    const seen = isMap(node) ? new Set<unknown>() : undefined;
    for (const item of node.items as unknown[]) {
      if (!isPair(item)) {
        stack.push(item);
        continue;
      }
      const key = item.key as Node | null;
      if (seen && isScalar(key)) {
        if (!seen.has(key.value)) seen.add(key.value);
        else if (first === undefined || start(key) < start(first)) first = key;
      } else stack.push(key);
      stack.push(item.value);
    }
  }
  return first;
}

function start(node: Node): number {
  return node.range?.[0] ?? Number.MAX_SAFE_INTEGER;
}
