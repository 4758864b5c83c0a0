import { checkFastPath, fastPathTable, type FastPathCheck, type SpecialFingerprint } from '../engine/schema-fingerprint.js';
import { mountTargetProblem } from './mount-targets.js';
import { CONTAINER_NAME } from './names.js';
import { serviceSchemas, userMapParts, type ServiceFields, type ServiceShape } from './service.js';
import { parseSecurityOpt } from './security-opt.js';
import { splitShellWords } from './shellwords.js';
import { parsePortShort, parseVolumeShort } from './short-syntax.js';
import { isSignal } from './signals.js';
import { parseBool, parseBytes, parseDuration } from './units.js';

/*
 * A valid service need not pay for zod. fastService reads the common shapes of the common keys (strings, lists of
 * strings, short syntax, `KEY: value` maps) and produces exactly what `serviceSchema.safeParse` produces for them:
 * the same values, the same key order, the same prototypes. On anything else (a long form, a value to coerce, an
 * invalid value, a key it does not know) it answers `undefined` and the loader runs the zod schema, which stays the
 * source of truth: it decides every service the fast path does not, and it writes every error message.
 *
 * Each converter mirrors one key's schema in service.ts, calling the same parsers (short-syntax.ts, shellwords.ts,
 * …). A converter is used only while its key's schema still has the structure it was written for: CONVERTERS
 * holds a hash of that structure (types, checks, enum values, object keys; no function text, so the minified
 * bundle agrees), and a key whose schema changed falls back to zod. test/unit/compose/fast-service.test.ts fails
 * then, and compares both paths on the corpus and on tables of values for every key.
 *
 * Checking the hashes means building the service schemas (some 900 zod schemas), which a run whose services all
 * take this path would otherwise never build: the CLI's bundle has the check's answer built in
 * (CTNR_FAST_SERVICE, filled in by scripts/bundle-cli.mjs from these very sources), and only unbundled code (the
 * API, tests) checks at first use.
 */

/** Not a shape this path knows: let zod decide. */
const BAIL: unique symbol = Symbol('bail');
type Bail = typeof BAIL;
type Convert = (v: unknown) => unknown;

// ------------------------------------------------------------------------------------------ shapes

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** zod's `scalar` (string, finite number, boolean) or null. */
const isScalarOrNull = (v: unknown): v is string | number | boolean | null => v === null || typeof v === 'string' || typeof v === 'boolean' || isNumber(v);

const string: Convert = (v) => (typeof v === 'string' ? v : BAIL);

const strings: Convert = (v) => {
  if (!Array.isArray(v)) return BAIL;
  for (const s of v) if (typeof s !== 'string') return BAIL;
  return v.slice();
};

/** `bool`: a boolean, or a string strconv.ParseBool takes. */
const boolean: Convert = (v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return BAIL;
  try {
    return parseBool(v);
  } catch {
    return BAIL;
  }
};

/** `command` / `entrypoint`: words, a list (numbers as strings), or null. */
const command: Convert = (v) => {
  if (v === null) return null;
  if (typeof v === 'string') {
    try {
      return splitShellWords(v);
    } catch {
      return BAIL;
    }
  }
  if (!Array.isArray(v)) return BAIL;
  const out: string[] = [];
  for (const w of v) {
    if (typeof w === 'string') out.push(w);
    else if (isNumber(w)) out.push(String(w));
    else return BAIL;
  }
  return out;
};

/** `environment`: a map (null: from the environment) or `KEY=VALUE` lines → ordered entries, a later key moving to the end. */
const environment: Convert = (v) => {
  const entries = new Map<string, string | null>();
  const put = (k: string, val: string | null) => {
    entries.delete(k);
    entries.set(k, val);
  };
  if (isMapping(v)) {
    for (const k of Object.keys(v)) {
      const val = v[k];
      if (!isScalarOrNull(val)) return BAIL;
      put(k, val === null ? null : String(val));
    }
  } else if (Array.isArray(v)) {
    for (const item of v) {
      if (typeof item !== 'string') return BAIL;
      const eq = item.indexOf('=');
      const key = eq < 0 ? item : item.slice(0, eq);
      if (key === '' || /\s/.test(key)) return BAIL;
      put(key, eq < 0 ? null : item.slice(eq + 1));
    }
  } else return BAIL;
  return [...entries];
};

/** `list_or_dict` (labels, annotations, sysctls) → a prototype-less record of strings. */
const listOrDict: Convert = (v) => {
  const out = Object.create(null) as Record<string, string>;
  if (isMapping(v)) {
    for (const k of Object.keys(v)) {
      const val = v[k];
      if (k.trim() === '' || !isScalarOrNull(val)) return BAIL;
      out[k] = val === null ? '' : String(val);
    }
  } else if (Array.isArray(v)) {
    for (const item of v) {
      if (typeof item !== 'string') return BAIL;
      const eq = item.indexOf('=');
      const key = (eq < 0 ? item : item.slice(0, eq)).trim();
      if (key === '') return BAIL;
      out[key] = eq < 0 ? '' : item.slice(eq + 1);
    }
  } else return BAIL;
  return out;
};

/** Short-syntax ports (a range expands to several mappings). */
const ports: Convert = (v) => {
  if (!Array.isArray(v)) return BAIL;
  const out: unknown[] = [];
  for (const p of v) {
    if (typeof p !== 'string' && !isNumber(p)) return BAIL;
    try {
      out.push(...parsePortShort(p));
    } catch {
      return BAIL;
    }
  }
  return out;
};

/** Short-syntax volumes, on a target docker accepts. */
const volumes: Convert = (v) => {
  if (!Array.isArray(v)) return BAIL;
  const out: unknown[] = [];
  for (const s of v) {
    if (typeof s !== 'string') return BAIL;
    let m: { target: string };
    try {
      m = parseVolumeShort(s);
    } catch {
      return BAIL;
    }
    if (mountTargetProblem(m.target) !== undefined) return BAIL;
    out.push(m);
  }
  return out;
};

const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
const DEPENDS_KEYS = new Set(['condition', 'restart', 'required']);

/** `depends_on`: names, or a map of `{condition, restart?, required?}` (required defaults to true). */
const dependsOn: Convert = (v) => {
  const out = Object.create(null) as Record<string, unknown>;
  if (Array.isArray(v)) {
    for (const n of v) {
      if (typeof n !== 'string') return BAIL;
      out[n] = { condition: 'service_started', required: true };
    }
    return out;
  }
  if (!isMapping(v)) return BAIL;
  for (const name of Object.keys(v)) {
    const d = v[name];
    if (!isMapping(d) || Object.hasOwn(d, '__proto__')) return BAIL;
    for (const k of Object.keys(d)) if (!DEPENDS_KEYS.has(k) && !k.startsWith('x-')) return BAIL;
    if (typeof d.condition !== 'string' || !CONDITIONS.has(d.condition)) return BAIL;
    const restart = d.restart === undefined ? undefined : boolean(d.restart);
    const required = d.required === undefined ? undefined : boolean(d.required);
    if (restart === BAIL || required === BAIL) return BAIL;
    out[name] = { condition: d.condition, ...(restart !== undefined ? { restart } : {}), required: required ?? true };
  }
  return out;
};

/** `networks`: names, or a map whose entries are all null. */
const networks: Convert = (v) => {
  const out = Object.create(null) as Record<string, null>;
  if (Array.isArray(v)) {
    for (const n of v) {
      if (typeof n !== 'string') return BAIL;
      out[n] = null;
    }
    return out;
  }
  if (!isMapping(v)) return BAIL;
  for (const n of Object.keys(v)) {
    if (v[n] !== null) return BAIL;
    out[n] = null;
  }
  return out;
};

/** `env_file`: a path or a list of paths (each required). */
const envFile: Convert = (v) => {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list)) return BAIL;
  const out: unknown[] = [];
  for (const p of list) {
    if (typeof p !== 'string' || p === '') return BAIL;
    out.push({ path: p, required: true });
  }
  return out;
};

const EXPOSED = /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
/** `expose`: ports as strings. */
const expose: Convert = (v) => {
  if (!Array.isArray(v)) return BAIL;
  const out: string[] = [];
  for (const p of v) {
    const s = typeof p === 'string' ? p : Number.isSafeInteger(p) ? String(p) : undefined;
    if (s === undefined || !EXPOSED.test(s)) return BAIL;
    out.push(s);
  }
  return out;
};

/** A string or an integer, as a string (`user`, `stop_signal`), when `ok` accepts it. */
const stringOrInt =
  (ok: (s: string) => boolean): Convert =>
  (v) => {
    const s = typeof v === 'string' ? v : Number.isSafeInteger(v) ? String(v) : undefined;
    return s !== undefined && ok(s) ? s : BAIL;
  };

const USER = /^[^\s:]+(:[^\s:]+)?$/;

/** `secrets` / `configs`: names of top-level entries. */
const fileRefs: Convert = (v) => {
  if (!Array.isArray(v)) return BAIL;
  const out: unknown[] = [];
  for (const s of v) {
    if (typeof s !== 'string') return BAIL;
    out.push({ source: s });
  }
  return out;
};

/** `int`: a safe integer, or a string of digits (with a sign) read as a number. */
const int = (v: unknown): number | Bail => {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : BAIL;
  if (typeof v !== 'string' || !/^[+-]?\d+$/.test(v.trim())) return BAIL;
  return Number(v.trim());
};

const ULIMIT_NAME = /^[a-z]+$/;

/** `ulimits`: lower-case names → a number (soft and hard alike) or `{soft, hard}` (`x-*` keys dropped). */
const ulimits: Convert = (v) => {
  if (!isMapping(v)) return BAIL;
  const out = Object.create(null) as Record<string, { soft: number; hard: number }>;
  for (const name of Object.keys(v)) {
    if (!ULIMIT_NAME.test(name)) return BAIL;
    const u = v[name];
    if (isMapping(u)) {
      if (Object.hasOwn(u, '__proto__')) return BAIL;
      for (const k of Object.keys(u)) if (k !== 'soft' && k !== 'hard' && !k.startsWith('x-')) return BAIL;
      const soft = int(u.soft);
      const hard = int(u.hard);
      if (soft === BAIL || hard === BAIL) return BAIL;
      out[name] = { soft, hard };
    } else {
      const n = int(u);
      if (n === BAIL) return BAIL;
      out[name] = { soft: n, hard: n };
    }
  }
  return out;
};

/** `security_opt`: strings, each parsed as the schema parses it (with its index). */
const securityOpt: Convert = (v) => {
  if (!Array.isArray(v)) return BAIL;
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    const s: unknown = v[i];
    if (typeof s !== 'string') return BAIL;
    out.push(parseSecurityOpt(s, i));
  }
  return out;
};

/** `pid`: a string or null. */
const stringOrNull: Convert = (v) => (v === null || typeof v === 'string' ? v : BAIL);

/** `dns`, `dns_search`: a string (one entry) or a list of strings. */
const stringOrList: Convert = (v) => (typeof v === 'string' ? [v] : strings(v));

/** `bytes`: a finite number, or a size (`512m`), truncated to whole bytes, 0 to 2^53-1. */
const bytes: Convert = (v) => {
  if (typeof v !== 'number' && typeof v !== 'string') return BAIL;
  if (typeof v === 'number' && !Number.isFinite(v)) return BAIL;
  let n: number;
  try {
    n = parseBytes(v);
  } catch {
    return BAIL;
  }
  return n >= 0 && n <= Number.MAX_SAFE_INTEGER ? n : BAIL;
};

/** `duration`: a Go duration (`1m30s`) in nanoseconds; of numbers only 0. */
const duration: Convert = (v) => {
  if (v === 0) return 0;
  if (typeof v !== 'string') return BAIL;
  try {
    return parseDuration(v);
  } catch {
    return BAIL;
  }
};

/** `cpus`: a number, or a string that is one, from 0 up to the most docker's NanoCPUs holds exactly. */
const cpus: Convert = (v) => {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && v.trim() !== '') n = Number(v.trim());
  else return BAIL;
  return Number.isFinite(n) && n >= 0 && n <= Math.floor(Number.MAX_SAFE_INTEGER / 1e9) ? n : BAIL;
};

const NAMESPACE_MODE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$|^(service|container):[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** `network_mode`: "", a word, `service:NAME` or `container:ID`, as written. */
const namespaceMode: Convert = (v) => (typeof v === 'string' && (v === '' || NAMESPACE_MODE.test(v)) ? v : BAIL);

const HEALTHCHECK_KEYS = new Set(['disable', 'interval', 'retries', 'test', 'timeout', 'start_period', 'start_interval']);
const HEALTHCHECK_OUT = ['interval', 'timeout', 'start_period', 'start_interval', 'retries'] as const;

/**
 * `healthcheck`: its keys (`x-*` dropped), a test string run through the shell or a list starting with NONE, CMD
 * or CMD-SHELL, durations and retries; `disable` true, or a NONE test, disables it.
 */
const healthcheck: Convert = (v) => {
  if (!isMapping(v) || Object.hasOwn(v, '__proto__')) return BAIL;
  const f: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    if (!HEALTHCHECK_KEYS.has(k)) {
      if (k.startsWith('x-')) continue;
      return BAIL;
    }
    const val = v[k];
    let c: unknown;
    if (k === 'disable') c = boolean(val);
    else if (k === 'retries') {
      c = int(val);
      if (c !== BAIL && (c as number) < 0) c = BAIL;
    } else if (k === 'test') c = typeof val === 'string' ? val : strings(val);
    else c = duration(val);
    if (c === BAIL) return BAIL;
    f[k] = c;
  }
  const out: Record<string, unknown> = {};
  let test: string[] | undefined;
  if (f.test !== undefined) {
    test = typeof f.test === 'string' ? ['CMD-SHELL', f.test] : (f.test as string[]);
    if (!['NONE', 'CMD', 'CMD-SHELL'].includes(test[0] ?? '')) return BAIL;
    out.test = test;
  }
  for (const k of HEALTHCHECK_OUT) if (f[k] !== undefined) out[k] = f[k];
  if (f.disable === true || test?.[0] === 'NONE') out.disable = true;
  else if (f.disable === false) out.disable = false;
  return out;
};

/** `build`: a context path, or a mapping (kept as written, in a plain object: zod's record of unknown values). */
const build: Convert = (v) => {
  if (typeof v === 'string') return v;
  if (!isMapping(v) || Object.hasOwn(v, '__proto__')) return BAIL;
  const proto = Object.getPrototypeOf(v);
  if (proto !== null && proto !== Object.prototype) return BAIL;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = v[k];
  return out;
};

/** `extends`: a service name, or `{service, file?}` (`x-*` keys dropped). */
const extendsRef: Convert = (v) => {
  if (typeof v === 'string') return { service: v };
  if (!isMapping(v) || Object.hasOwn(v, '__proto__')) return BAIL;
  for (const k of Object.keys(v)) if (k !== 'service' && k !== 'file' && !k.startsWith('x-')) return BAIL;
  if (typeof v.service !== 'string' || (v.file !== undefined && typeof v.file !== 'string')) return BAIL;
  return v.file !== undefined ? { service: v.service, file: v.file } : { service: v.service };
};

// ------------------------------------------------------------------------------------------ the keys

type Key = keyof ServiceShape;

/**
 * The keys this path converts, with the hash of their schema's structure (schemaFingerprint) when the converter
 * was written. Keys of one kind share a converter.
 */
const CONVERTERS: ReadonlyArray<[Key, Convert, string]> = [
  ['image', string, '5a2e343d'],
  ['working_dir', string, '5a2e343d'],
  ['restart', string, '5a2e343d'],
  ['platform', string, '5a2e343d'],
  ['pull_policy', string, '5a2e343d'],
  ['hostname', string, '5a2e343d'],
  ['domainname', string, '5a2e343d'],
  ['ipc', string, '5a2e343d'],
  ['uts', string, '5a2e343d'],
  ['cgroup_parent', string, '5a2e343d'],
  ['runtime', string, '5a2e343d'],
  ['command', command, '87898545'],
  ['entrypoint', command, '87898545'],
  ['environment', environment, '65e9550b'],
  ['labels', listOrDict, '64092329'],
  ['annotations', listOrDict, '64092329'],
  ['sysctls', listOrDict, '64092329'],
  ['init', boolean, '84a8d0b0'],
  ['privileged', boolean, '84a8d0b0'],
  ['tty', boolean, '84a8d0b0'],
  ['stdin_open', boolean, '84a8d0b0'],
  ['read_only', boolean, '84a8d0b0'],
  ['cap_add', strings, '9340ce3b'],
  ['cap_drop', strings, '9340ce3b'],
  ['profiles', strings, '9340ce3b'],
  ['dns_opt', strings, '9340ce3b'],
  ['ports', ports, '4bf0a926'],
  ['volumes', volumes, 'ae96f5c7'],
  ['depends_on', dependsOn, 'fffa6604'],
  ['networks', networks, 'a4ea84eb'],
  ['env_file', envFile, '9d09b005'],
  ['expose', expose, 'ff74f7a7'],
  ['user', stringOrInt((s) => s === '' || USER.test(s)), 'dc26e1eb'],
  ['stop_signal', stringOrInt(isSignal), 'dc26e1eb'],
  ['container_name', (v) => (typeof v === 'string' && CONTAINER_NAME.test(v) ? v : BAIL), '46ee495d'],
  ['secrets', fileRefs, '4ce876b7'],
  ['configs', fileRefs, '4ce876b7'],
  ['ulimits', ulimits, 'aee33649'],
  ['security_opt', securityOpt, 'fbce7ae4'],
  ['userns_mode', string, '5a2e343d'],
  ['mac_address', string, '5a2e343d'],
  ['cpuset', string, '5a2e343d'],
  ['isolation', string, '5a2e343d'],
  ['pull_refresh_after', string, '5a2e343d'],
  ['pid', stringOrNull, '7716b9d9'],
  ['volumes_from', strings, '9340ce3b'],
  ['device_cgroup_rules', strings, '9340ce3b'],
  ['links', strings, '9340ce3b'],
  ['external_links', strings, '9340ce3b'],
  ['dns', stringOrList, '1424d315'],
  ['dns_search', stringOrList, '1424d315'],
  ['oom_kill_disable', boolean, '84a8d0b0'],
  ['attach', boolean, '84a8d0b0'],
  ['use_api_socket', boolean, '84a8d0b0'],
  ['pids_limit', int, '9b61551c'],
  ['cpu_shares', int, '9b61551c'],
  ['cpu_quota', int, '9b61551c'],
  ['cpu_period', int, '9b61551c'],
  ['scale', int, '9b61551c'],
  ['shm_size', bytes, '4272943c'],
  ['mem_limit', bytes, '4272943c'],
  ['mem_reservation', bytes, '4272943c'],
  ['stop_grace_period', duration, '6a745183'],
  ['cpus', cpus, '1aae545f'],
  ['network_mode', namespaceMode, 'd58304e6'],
  ['healthcheck', healthcheck, '60899af0'],
  ['build', build, '965c57e0'],
  ['extends', extendsRef, '75478182'],
];

/** The shared schemas some converters mirror (by name in serviceSchemas()): the key must still use that very schema. */
const SAME_SCHEMA: Partial<Record<Key, 'environmentSchema' | 'dict' | 'bool' | 'int' | 'bytes' | 'duration' | 'stringOrList'>> = {
  environment: 'environmentSchema',
  labels: 'dict',
  annotations: 'dict',
  sysctls: 'dict',
  init: 'bool',
  privileged: 'bool',
  tty: 'bool',
  stdin_open: 'bool',
  read_only: 'bool',
  oom_kill_disable: 'bool',
  attach: 'bool',
  use_api_socket: 'bool',
  pids_limit: 'int',
  cpu_shares: 'int',
  cpu_quota: 'int',
  cpu_period: 'int',
  scale: 'int',
  shm_size: 'bytes',
  mem_limit: 'bytes',
  mem_reservation: 'bytes',
  stop_grace_period: 'duration',
  dns: 'stringOrList',
  dns_search: 'stringOrList',
};

interface Table {
  /** Converter and position in the schema's shape (zod's output follows the shape's key order). */
  byKey: Map<string, { convert: Convert; index: number }>;
  /** Keys of the schema whose converter is off (a changed schema): a service using one goes to zod. */
  shapeKeys: Set<string>;
}

let table: Table | undefined;

/** Keys with a converter. */
export const CONVERTED_KEYS: readonly string[] = CONVERTERS.map(([k]) => k);

/** Keys whose converter is in use (the others' schemas changed since their converter was written). */
export function fastKeys(): string[] {
  return [...tableOf().byKey.keys()];
}

/** The check's answer in the CLI's bundle, as JSON (scripts/bundle-cli.mjs); unbundled, checkConverters() runs on first use. */
declare const CTNR_FAST_SERVICE: string | undefined;

function tableOf(): Table {
  if (table) return table;
  const checked = typeof CTNR_FAST_SERVICE === 'undefined' ? checkConverters() : (JSON.parse(CTNR_FAST_SERVICE) as FastPathCheck);
  return (table = { byKey: fastPathTable(checked, CONVERTERS), shapeKeys: new Set(checked.shapeKeys) });
}

/** Compares every converter's hash with its key's schema as it is now (this builds the service schemas). */
export function checkConverters(): FastPathCheck {
  const schemas = serviceSchemas();
  const sameSchema = (key: string, schema: unknown) => {
    const same = SAME_SCHEMA[key as Key];
    return same === undefined || (schema as { unwrap?: () => unknown }).unwrap?.() === schemas[same];
  };
  return checkFastPath(schemas.serviceShape, CONVERTERS, userMapFingerprint, sameSchema);
}

/**
 * A raw service (interpolated, its keys checked by check-keys.ts) normalised as the schema would normalise it, or
 * undefined when this path does not know a key or a value of it (the schema decides then).
 */
export function fastService(raw: Record<string, unknown>): ServiceFields | undefined {
  const { byKey, shapeKeys } = tableOf();
  const known: Array<{ index: number; key: string; value: unknown }> = [];
  const extra: string[] = [];
  for (const key of Object.keys(raw)) {
    const entry = byKey.get(key);
    if (entry !== undefined) {
      const value = entry.convert(raw[key]);
      if (value === BAIL) return undefined;
      known.push({ index: entry.index, key, value });
    } else if (shapeKeys.has(key) || key === '__proto__') return undefined;
    // `x-*` extensions: the schema keeps them as written.
    else extra.push(key);
  }
  known.sort((a, b) => a.index - b.index);
  const out: Record<string, unknown> = {};
  for (const k of known) out[k.key] = k.value;
  for (const k of extra) out[k] = raw[k];
  return out as ServiceFields;
}

/** A userMap (service.ts) by its value and key schemas. */
export const userMapFingerprint: SpecialFingerprint = (schema, f) => {
  const map = userMapParts(schema);
  return map ? `userMap(${f(map.value)}${map.key ? `,${f(map.key)}` : ''})` : undefined;
};
