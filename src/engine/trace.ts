import type { Operation } from 'fast-json-patch';
import type { TraceEntry } from './types.js';

interface Node {
  readonly seg: string;
  entry: TraceEntry | undefined;
  /** `entry`'s value is in the document by reference (snapshot it before an op changes something inside it). */
  aliased: boolean;
  /**
   * Children: a list searched in order while short (most nodes have a handful, and a scan beats hashing), a Map
   * once a node has many (a plugin appending item by item to one array must not make every claim a long scan).
   */
  kids: Node[] | Map<string, Node> | undefined;
}

/** Children a node keeps in a list before it switches to a Map. */
const LIST_MAX = 16;

function newNode(seg: string): Node {
  return { seg, entry: undefined, aliased: false, kids: undefined };
}

function childOf(node: Node, seg: string): Node | undefined {
  const kids = node.kids;
  if (kids === undefined) return undefined;
  if (!Array.isArray(kids)) return kids.get(seg);
  for (let k = 0; k < kids.length; k++) if (kids[k]!.seg === seg) return kids[k];
  return undefined;
}

function addChild(node: Node, seg: string): Node {
  const child = newNode(seg);
  const kids = node.kids;
  if (kids === undefined) node.kids = [child];
  else if (!Array.isArray(kids)) kids.set(seg, child);
  else if (kids.length < LIST_MAX) kids.push(child);
  else {
    const map = new Map<string, Node>();
    for (const k of kids) map.set(k.seg, k);
    map.set(seg, child);
    node.kids = map;
  }
  return child;
}

/**
 * Who wrote what, as a trie over pointer segments: the owner of a pointer is the deepest entry on its path,
 * replacing a value drops everything recorded below it, and both cost one walk down the path.
 *
 * Ops insert their values into the document by reference (a clone per op would double the pipeline's
 * allocations), so before an op changes something inside a value an earlier op inserted, that earlier trace
 * entry gets its own copy: the trace always shows what each plugin wrote.
 */
export class Owners {
  private readonly root: Node = newNode('');

  /** Owner of `segs` (deepest recorded entry on the path), snapshotting aliased ancestors on the way. */
  touch(segs: readonly string[], snapshot: boolean): TraceEntry | undefined {
    let node: Node | undefined = this.root;
    let owner = node.entry;
    for (let i = 0; i < segs.length && node; i++) {
      node = childOf(node, segs[i]!);
      if (node?.entry) {
        owner = node.entry;
        // Only ancestors are changed in place by this op; the target itself is replaced, not edited.
        if (snapshot && i < segs.length - 1 && node.aliased) snapshotValue(node);
      }
    }
    return owner;
  }

  /**
   * Record `entry` as the writer of `segs` and return the previous owner (as `touch` with snapshots would):
   * `replaced`: the value there is new, so forget what was below; `sharesValue`: the entry's value is in the
   * document by reference (snapshot it before a later op changes something inside it).
   */
  claim(segs: readonly string[], entry: TraceEntry, replaced: boolean, sharesValue: boolean): TraceEntry | undefined {
    let node = this.root;
    let owner = node.entry;
    const last = segs.length - 1;
    for (let i = 0; i <= last; i++) {
      const seg = segs[i]!;
      node = childOf(node, seg) ?? addChild(node, seg);
      const held = node.entry;
      if (held) {
        owner = held;
        // Only ancestors are changed in place by this op; the target itself is replaced, not edited.
        if (i < last && node.aliased) snapshotValue(node);
      }
    }
    if (replaced) node.kids = undefined;
    node.entry = entry;
    node.aliased = sharesValue;
    return owner;
  }

  ownerOf(segs: readonly string[]): string | undefined {
    return this.touch(segs, false)?.plugin;
  }
}

/** Give the entry at `node` its own copy of the value it inserted, which an op is about to change in place. */
function snapshotValue(node: Node): void {
  const held = node.entry!;
  held.op = { ...held.op, value: jsonClone((held.op as { value: unknown }).value) } as Operation;
  node.aliased = false;
}

export function jsonClone<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(jsonClone) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = jsonClone((value as Record<string, unknown>)[key]);
  return out as T;
}
