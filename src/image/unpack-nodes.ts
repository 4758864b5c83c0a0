import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { displayName } from './tar.js';
import { fsPath } from './unpack-path.js';

/**
 * Device nodes and FIFOs. Node has no mknod(2), so the `mknod` program makes them — many per process: a layer's
 * nodes are queued and made together. They are made under ASCII names in a private directory inside the root
 * and renamed into place, so a name that is not UTF-8 (argv is text) still lands byte for byte.
 *
 * Queueing must not change the order the layer describes: whoever is about to touch a queued path, a path below
 * it or a directory above it calls `flush()` first (`touches` tells), so everything happens as if each node had
 * been made when its entry was read.
 */

export interface QueuedNode {
  /** Host path (byte string) where the node belongs. */
  path: string;
  /** The entry's name, for messages. */
  name: string;
  kind: 'char' | 'block' | 'fifo';
  major: number;
  minor: number;
  /** Owner, mode and times, once the node exists at `path`. */
  finish: (path: string) => void;
}

export class NodeQueue {
  private readonly queued = new Map<string, QueuedNode>();
  /** Every directory above a queued node. */
  private readonly above = new Set<string>();

  private readonly root: string;
  private readonly onFailed: (node: QueuedNode, reason: string) => void;

  /** `root` (byte string) holds the staging directory; `onFailed` hears of each node mknod refused. */
  constructor(root: string, onFailed: (node: QueuedNode, reason: string) => void) {
    this.root = root;
    this.onFailed = onFailed;
  }

  add(node: QueuedNode): void {
    this.queued.set(node.path, node);
    for (let i = node.path.lastIndexOf('/'); i > this.root.length; i = node.path.lastIndexOf('/', i - 1)) this.above.add(node.path.slice(0, i));
  }

  /** Whether `p` is a queued node, lies below one, or is a directory above one. */
  touches(p: string): boolean {
    if (this.queued.size === 0) return false;
    if (this.queued.has(p) || this.above.has(p)) return true;
    for (let i = p.lastIndexOf('/'); i > this.root.length; i = p.lastIndexOf('/', i - 1)) if (this.queued.has(p.slice(0, i))) return true;
    return false;
  }

  flush(): void {
    if (this.queued.size === 0) return;
    const nodes = [...this.queued.values()];
    this.queued.clear();
    this.above.clear();
    const staging = `${this.root}/.ctnr-mknod-${process.pid}-${randomBytes(4).toString('hex')}`;
    mkdirSync(fsPath(staging), { mode: 0o700 });
    try {
      const args = nodes.flatMap((n, i) => [String(i), n.kind === 'char' ? 'c' : n.kind === 'block' ? 'b' : 'p', String(n.major), String(n.minor)]);
      // One shell runs every mknod; a failure is reported per node below, not by the exit status.
      const script = 'while [ $# -gt 0 ]; do if [ "$2" = p ]; then mknod -m 600 "$1" p; else mknod -m 600 "$1" "$2" "$3" "$4"; fi; shift 4; done';
      const r = spawnSync('sh', ['-c', script, 'sh', ...args], { cwd: displayName(staging), encoding: 'utf8' });
      const reason = r.error ? r.error.message : r.stderr.trim().split('\n')[0] || 'mknod failed';
      nodes.forEach((node, i) => {
        try {
          renameSync(fsPath(`${staging}/${i}`), fsPath(node.path));
        } catch {
          this.onFailed(node, reason);
          return;
        }
        node.finish(node.path);
      });
    } finally {
      rmSync(fsPath(staging), { recursive: true, force: true });
    }
  }
}
