/**
 * One error type for everything a user can get wrong. `code` is stable (tests and CI systems match on it);
 * the message is for people. The formatter below is the only place that turns errors into text.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_UNTRUSTED'
  | 'COMPOSE_NOT_FOUND'
  | 'COMPOSE_INVALID'
  | 'SERVICE_NOT_FOUND'
  | 'SERVICE_INVALID'
  | 'KEY_UNSUPPORTED'
  | 'PLUGIN_INVALID'
  | 'PLUGIN_OPTIONS'
  | 'PLUGIN_FAILED'
  | 'ORDER_UNKNOWN'
  | 'ORDER_CYCLE'
  | 'ORDER_CROSS_STAGE'
  | 'STAGE_UNKNOWN'
  | 'OP_INVALID'
  | 'PATCH_FAILED'
  | 'POLICY_VIOLATION'
  | 'USER_NOT_FOUND'
  | 'GROUP_NOT_FOUND'
  | 'IMAGE_INVALID'
  | 'IMAGE_REFERENCE'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_DIGEST'
  | 'IMAGE_UNPACK'
  | 'IMAGE_PLATFORM'
  | 'IMAGE_BUILD'
  | 'REGISTRY_FAILED'
  | 'REGISTRY_AUTH'
  | 'OUTPUT_FAILED'
  | 'NAME_INVALID'
  | 'PLUGIN_TIMEOUT'
  | 'LOCKED'
  | 'BUNDLE_EXISTS'
  | 'BUNDLE_FAILED'
  | 'RUNTIME_FAILED'
  | 'USAGE';

export interface SourceLocation {
  file: string;
  line?: number;
  col?: number;
}

export interface CtnrErrorDetails {
  /** Key path inside the input, e.g. `services.web.ports[1]` (already rendered) or path segments. */
  path?: string | ReadonlyArray<string | number>;
  location?: SourceLocation;
  plugin?: string;
  stage?: string;
  /** Where the plugin came from: config file, then each preset down to the plugin. */
  presetChain?: readonly string[];
  cause?: unknown;
  /** Extra lines printed under the message (e.g. every violation of a policy). */
  details?: readonly string[];
}

/** Brand shared by every copy of this module (the bundled CLI and a config importing `ctnr` are two copies). */
const BRAND = Symbol.for('ctnr.error');

export class CtnrError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  path: string | undefined;
  location: SourceLocation | undefined;
  plugin: string | undefined;
  stage: string | undefined;
  presetChain: readonly string[] | undefined;
  details: readonly string[] | undefined;

  constructor(code: ErrorCode, message: string, info: CtnrErrorDetails = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'CtnrError';
    this.code = code;
    this.path = info.path === undefined ? undefined : renderPath(info.path);
    this.location = info.location;
    this.plugin = info.plugin;
    this.stage = info.stage;
    this.presetChain = info.presetChain;
    this.details = info.details;
  }
}

export function isCtnrError(err: unknown): err is CtnrError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** `['services','web','ports',1]` → `services.web.ports[1]`. Keys that are not identifiers are quoted. */
export function renderPath(path: string | ReadonlyArray<string | number | symbol>): string {
  if (typeof path === 'string') return path;
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'symbol') out += `[${String(seg)}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Text that may hold user input (names, values, paths from a compose file or the command line), made safe to
 * print on a terminal: C0 controls other than newline and tab, DEL, C1 controls (U+0080–U+009F: a lone U+009B
 * is a CSI on many terminals) and the bidirectional overrides become visible escapes (`\x1b`, `\u202e`), so a
 * hostile service name cannot move the cursor, recolour, retitle or rewrite what the terminal shows.
 * `oneLine` escapes newline and tab too, for a table cell or a line that must stay one line.
 */
export function escapeControls(text: string, oneLine = false): string {
  return text.replace(oneLine ? CONTROLS_ALL : CONTROLS, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROLS_ALL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `compose.yaml:14:9 services.web.ports[1]: message`
 * `[ctnr:seccomp] services.web.security_opt[0]: message`
 * `    stage seccomp · from ctnr.config.ts › ctnr:preset-default`
 */
export function formatError(err: unknown): string {
  if (!isCtnrError(err)) {
    const e = err as { stack?: string; message?: string };
    return escapeControls(`internal error: ${e?.stack ?? e?.message ?? String(err)}`);
  }
  const head: string[] = [];
  if (err.location) {
    let loc = err.location.file;
    if (err.location.line !== undefined) loc += `:${err.location.line}`;
    if (err.location.line !== undefined && err.location.col !== undefined) loc += `:${err.location.col}`;
    // `compose.yaml:14:9 path: …` but `ctnr.config.ts: path: …` when there is no line to point at.
    head.push(err.location.line === undefined ? `${loc}:` : loc);
  }
  if (err.plugin) head.push(`[${err.plugin}]`);
  if (err.path) head.push(`${err.path}:`);
  let text = head.length > 0 ? `${head.join(' ')} ${err.message}` : err.message;
  for (const line of err.details ?? []) text += `\n  - ${line}`;
  if (err.stage || err.presetChain?.length) {
    const parts: string[] = [];
    if (err.stage) parts.push(`stage ${err.stage}`);
    if (err.presetChain?.length) parts.push(`from ${err.presetChain.join(' › ')}`);
    text += `\n    ${parts.join(' · ')}`;
  }
  return escapeControls(text);
}

/** Edit distance with adjacent transpositions (optimal string alignment): "hots" is one step from "host". */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestScore = Infinity;
  // A suggestion must keep most of what was typed: "db" is not a typo of "web".
  const limit = Math.max(1, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  for (const c of candidates) {
    // The distance is at least the difference in length: a candidate that cannot win is not measured (a 4 KiB
    // unknown key against every compose key cost 30 ms per key, quadratic in the key's length).
    const gap = Math.abs(c.length - name.length);
    if (gap > limit || gap >= bestScore) continue;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  if (best === undefined || bestScore > limit) return '';
  return ` (did you mean "${best}"?)`;
}
