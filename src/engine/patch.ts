import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { CtnrError } from './errors.js';
import { remembered } from './remember.js';

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function escapePointerSegment(seg: string | number): string {
  const s = typeof seg === 'number' ? String(seg) : seg;
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}

export function pointer(...segments: Array<string | number>): string {
  let out = '';
  for (const s of segments) out += '/' + escapePointerSegment(s);
  return out;
}

/**
 * Decoded segments of a pointer. Plugins use the same few pointers for every service, so results are
 * remembered (bounded) and shared: callers must not modify the returned array.
 */
export const splitPointer: (ptr: string) => readonly string[] = remembered((ptr) =>
  ptr === '' ? [] : ptr.includes('~') ? ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')) : ptr.slice(1).split('/'),
);

export interface OpProblem {
  index: number;
  message: string;
}

/**
 * Shape check at the boundary (fast-json-patch's own validation is lenient with validate=false and reports
 * index 0 for every op with validate=true): op name, pointer syntax, forbidden segments, value present.
 */
export function checkOpShape(op: unknown, index: number): OpProblem | undefined {
  if (!op || typeof op !== 'object') return { index, message: 'an op must be an object' };
  const o = op as Record<string, unknown>;
  if (typeof o.op !== 'string' || !OPS.has(o.op)) return { index, message: `unknown op ${JSON.stringify(o.op)}` };
  const bad = pointerProblem('path', o.path) ?? (o.op === 'move' || o.op === 'copy' ? pointerProblem('from', o.from) : undefined);
  if (bad !== undefined) return { index, message: bad };
  if ((o.op === 'add' || o.op === 'replace' || o.op === 'test') && o.value === undefined) {
    return { index, message: `"${o.op}" needs a value` };
  }
  return undefined;
}

function pointerProblem(key: string, ptr: unknown): string | undefined {
  const problem = typeof ptr === 'string' ? pointerShapeProblem(ptr) : `must be a JSON pointer starting with "/", got ${JSON.stringify(ptr)}`;
  return problem === undefined ? undefined : `"${key}" ${problem}`;
}

/** What is wrong with a pointer's text, or undefined. */
function pointerShapeProblem(ptr: string): string | undefined {
  if (ptr !== '' && ptr.charCodeAt(0) !== 47 /* / */) return `must be a JSON pointer starting with "/", got ${JSON.stringify(ptr)}`;
  // The root of the document is the engine's: replacing it would leave every earlier trace entry pointing
  // at values that are gone (fast-json-patch does not even apply it in place).
  if (ptr === '') return '"" is the whole document, which no op may target';
  // Segments, not the text: resolveOp splits the same pointer next (the split is remembered), and comparing
  // each segment with three names costs less than scanning the text for them. Escapes cannot spell these names.
  const segs = splitPointer(ptr);
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg === '__proto__' || seg === 'constructor' || seg === 'prototype') return `${ptr} has forbidden segment "${seg}"`;
  }
  return undefined;
}

/**
 * Resolve an op against the document the way RFC 6902 requires (parent must exist; replace/remove/test
 * need the target; array indexes in range) and return the concrete pointer (`-` → index) and whether a
 * previous value is being overwritten. Returns a string describing the problem when the op cannot apply.
 */
export interface ResolvedOp {
  pointer: string;
  /** Decoded segments of `pointer` (with `-` resolved to the index); shared, not to be modified. */
  segs: readonly string[];
  existed: boolean;
  /** The object or array the op changes, and the key or index in it (what applyResolved writes to). */
  parent: Record<string, unknown> | unknown[];
  key: string | number;
}

/**
 * `/a/-` appending at `index` is `/a/<index>`: the concrete pointer and its segments, remembered per pointer and
 * index (plugins append to the same few arrays, which reach the same lengths for every service; bounded).
 */
const appendTargets = new Map<string, Array<{ pointer: string; segs: readonly string[] }>>();
const MAX_REMEMBERED_INDEX = 64;

function appendTarget(path: string, segs: readonly string[], index: number): { pointer: string; segs: readonly string[] } {
  let byIndex = appendTargets.get(path);
  let at = byIndex?.[index];
  if (at === undefined) {
    at = { pointer: path.slice(0, path.lastIndexOf('/') + 1) + index, segs: [...segs.slice(0, -1), String(index)] };
    if (index < MAX_REMEMBERED_INDEX) {
      if (byIndex === undefined && appendTargets.size < 4096) appendTargets.set(path, (byIndex = []));
      if (byIndex !== undefined) byIndex[index] = at;
    }
  }
  return at;
}

export function resolveOp(doc: unknown, op: Operation): ResolvedOp | string {
  const path = op.path;
  if (path === '') return 'an op cannot target the whole document';
  const segs = splitPointer(path);
  let parent: any = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    if (parent === null || typeof parent !== 'object') return `parent of ${path} does not exist`;
    parent = Array.isArray(parent) ? (isIndex(seg) ? parent[Number(seg)] : undefined) : Object.hasOwn(parent, seg) ? parent[seg] : undefined;
    if (parent === undefined) return `parent of ${path} does not exist (missing "${segs.slice(0, i + 1).join('/')}")`;
  }
  if (parent === null || typeof parent !== 'object') return `parent of ${path} is not an object or array`;
  const last = segs[segs.length - 1]!;
  // move and copy put a value at `path` the way add does (RFC 6902 §4.4, §4.5).
  const adds = op.op === 'add' || op.op === 'move' || op.op === 'copy';
  if (Array.isArray(parent)) {
    if (adds && last === '-') {
      const at = appendTarget(path, segs, parent.length);
      return { pointer: at.pointer, segs: at.segs, existed: false, parent, key: parent.length };
    }
    if (!isIndex(last)) return `${path}: "${last}" is not an array index`;
    const idx = Number(last);
    if (adds) return idx <= parent.length ? { pointer: path, segs, existed: false, parent, key: idx } : `${path}: index ${idx} is past the end (length ${parent.length})`;
    return idx < parent.length ? { pointer: path, segs, existed: true, parent, key: idx } : `${path}: index ${idx} does not exist (length ${parent.length})`;
  }
  // Every segment above was followed only through own properties; this one is written, and writing `__proto__`
  // would replace the object's prototype (checkOpShape refuses it earlier for plugins from outside ctnr).
  if (last === '__proto__') return `${path} has forbidden segment "__proto__"`;
  const existed = Object.hasOwn(parent, last);
  if (!adds && !existed) return `${path} does not exist`;
  return { pointer: path, segs, existed, parent, key: last };
}

/**
 * Apply an `add`, `replace` or `remove` at the place resolveOp found (RFC 6902 semantics: `add` inserts into an
 * array, `replace` overwrites, `remove` deletes or splices), without walking the pointer again.
 */
export function applyResolved(op: 'add' | 'replace' | 'remove', at: ResolvedOp, value: unknown): void {
  const { parent, key } = at;
  if (Array.isArray(parent)) {
    const idx = key as number;
    if (op === 'add') {
      if (idx === parent.length) parent.push(value);
      else parent.splice(idx, 0, value);
    } else if (op === 'replace') parent[idx] = value;
    else parent.splice(idx, 1);
    return;
  }
  if (op === 'remove') delete parent[key as string];
  else parent[key as string] = value;
}

function isIndex(seg: string): boolean {
  const n = seg.length;
  if (n === 0 || (n > 1 && seg.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < n; i++) {
    const c = seg.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Apply one already-checked op in place (validate=false: our own checks ran; fjp's clone-heavy ones would double the cost). */
export function applyOpInPlace(doc: object, op: Operation): void {
  jsonpatch.applyOperation(doc, op, false, true, true);
}

export function opError(plugin: string, index: number, op: unknown, problem: string, info: { stage: string; presetChain: readonly string[] }): CtnrError {
  const o = op as { op?: string; path?: string };
  return new CtnrError('PATCH_FAILED', `op ${index} (${o?.op ?? '?'} ${o?.path ?? '?'}) does not apply: ${problem}`, {
    plugin,
    stage: info.stage,
    presetChain: info.presetChain,
  });
}

/** Small op builders so plugins stay short. Values are inserted by reference: pass fresh objects. */
export const ops = {
  add: (path: string, value: unknown): Operation => ({ op: 'add', path, value }),
  replace: (path: string, value: unknown): Operation => ({ op: 'replace', path, value }),
  remove: (path: string): Operation => ({ op: 'remove', path }),
  /** `add` if missing, `replace` if present: idempotent "set". */
  set(spec: unknown, path: string, value: unknown): Operation {
    return { op: lookup(spec, path) === undefined ? 'add' : 'replace', path, value } as Operation;
  },
  /** Ops that create missing parent objects for `path` (e.g. `/linux/resources/pids`), outermost first. */
  ensureParents(spec: unknown, path: string): Operation[] {
    const segs = splitPointer(path);
    const out: Operation[] = [];
    let node: any = spec;
    let ptr = '';
    for (let i = 0; i < segs.length - 1; i++) {
      ptr += '/' + escapePointerSegment(segs[i]!);
      const next = node && typeof node === 'object' ? node[segs[i]!] : undefined;
      if (next === undefined) {
        out.push({ op: 'add', path: ptr, value: {} });
        node = {};
      } else node = next;
    }
    return out;
  },
};

/** Read a value at a JSON pointer, or undefined. */
export function lookup(doc: unknown, path: string): any {
  let node: any = doc;
  for (const seg of splitPointer(path)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(seg)] : Object.hasOwn(node, seg) ? node[seg] : undefined;
  }
  return node;
}

const MAX_DEPTH = 256;

/**
 * The document's own copy of a value a plugin outside ctnr returned: the plugin keeps no reference into the
 * spec (changing what it returned later changes nothing), read-only views of `ctx.spec` become plain data, and
 * only JSON data passes: throws an Error naming the problem for functions, symbols, bigints, `__proto__` keys
 * and values nested deeper than 256 levels (a cycle). A getter that throws propagates its error.
 */
export function copyValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object') return copyNode(value, 0);
  checkLeaf(value);
  return value;
}

function copyNode(v: any, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error(`is nested deeper than ${MAX_DEPTH} levels (or refers to itself)`);
  if (Array.isArray(v)) {
    const n = v.length;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = copyItem(v[i], depth);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    if (k === '__proto__') throw new Error('has a "__proto__" key');
    out[k] = copyItem(v[k], depth);
  }
  return out;
}

function copyItem(x: unknown, depth: number): unknown {
  if (x !== null && typeof x === 'object') return copyNode(x, depth + 1);
  if (typeof x !== 'string' && typeof x !== 'number') checkLeaf(x);
  return x;
}

function checkLeaf(x: unknown): void {
  const t = typeof x;
  if (t === 'function' || t === 'symbol' || t === 'bigint') throw new Error(`holds a ${t}, which is not JSON data`);
}
