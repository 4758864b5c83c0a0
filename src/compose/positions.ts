import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import type { SourceLocation } from '../engine/errors.js';
import { renderPath } from '../engine/errors.js';

/**
 * Source positions of every key and item of a YAML document, keyed by rendered path
 * (`services.web.ports[1]`). Values merged in with `<<` point at the anchor's lines.
 */
export class PositionIndex {
  private readonly map = new Map<string, { line: number; col: number }>();
  readonly file: string;

  constructor(file: string, doc: Document, counter: LineCounter) {
    this.file = file;
    const walk = (node: unknown, path: Array<string | number>, depth: number): void => {
      // An alias is recorded where it is written, not walked: walking aliases of aliases is exponential
      // (the "billion laughs" document), and errors inside aliased content point at the alias anyway.
      if (depth > 64 || isAlias(node)) return;
      if (isMap(node)) {
        const explicit = new Set<string>();
        for (const pair of node.items) if (isScalar(pair.key) && pair.key.value !== '<<') explicit.add(String(pair.key.value));
        for (const pair of node.items) {
          if (!isPair(pair) || !isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (key === '<<') {
            const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
            for (const src of sources) {
              const target = isAlias(src) ? src.resolve(doc) : src;
              if (!isMap(target)) continue;
              for (const inner of target.items) {
                if (!isScalar(inner.key)) continue;
                const k = String(inner.key.value);
                if (explicit.has(k)) continue;
                explicit.add(k);
                this.record([...path, k], inner.key as Node, counter);
                walk(inner.value, [...path, k], depth + 1);
              }
            }
            continue;
          }
          this.record([...path, key], pair.key as Node, counter);
          walk(pair.value, [...path, key], depth + 1);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          const target = isAlias(item) ? item : (item as Node);
          this.record([...path, i], target, counter);
          walk(item, [...path, i], depth + 1);
        });
      }
    };
    walk(doc.contents, [], 0);
  }

  private record(path: Array<string | number>, node: Node | null | undefined, counter: LineCounter): void {
    const start = node?.range?.[0];
    if (start === undefined) return;
    const pos = counter.linePos(start);
    this.map.set(renderPath(path), { line: pos.line, col: pos.col });
  }

  /** The closest recorded location for a path (walks up to the parent key when a leaf has none). */
  locate(path: ReadonlyArray<string | number>): SourceLocation {
    for (let n = path.length; n > 0; n--) {
      const hit = this.map.get(renderPath(path.slice(0, n)));
      if (hit) return { file: this.file, line: hit.line, col: hit.col };
    }
    return { file: this.file };
  }
}
