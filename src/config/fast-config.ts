import { pluginShapeProblem } from '../engine/plan.js';
import { checkFastPath, fastPathTable, type FastPathCheck } from '../engine/schema-fingerprint.js';
import { configSchemas, type CtnrConfig } from './schema.js';

/*
 * A valid config need not pay for zod. A `.ts` config is code that already runs in the CLI's process, and what
 * it usually holds — presets by name or by value, plugins, plugin names to disable, a few strings — fastConfig
 * checks by hand and turns into exactly what validateConfig's zod parse gives (same values, same key order). On
 * anything else (a key it does not handle, a value zod would refuse) it answers `undefined` and the zod schema
 * decides, with its messages. Loading zod and building its schemas is some 20 ms of a cold start, most of what a
 * README-style config costs beyond jiti.
 *
 * As src/compose/fast-service.ts, each key's check is used only while the key's schema in schema.ts still has
 * the structure the check was written for (CHECKS holds its fingerprint's hash); the CLI's bundle has the answer
 * built in (CTNR_FAST_CONFIG, from scripts/bundle-cli.mjs), so it never builds the schemas to find out.
 * test/unit/config/fast-config.test.ts compares both paths.
 */

const BAIL: unique symbol = Symbol('bail');
type Bail = typeof BAIL;
type Check = (v: unknown) => unknown;

/**
 * A plain object (Object's prototype or none). zod also reads the keys an object inherits (a config made by a class,
 * or with Object.create): those are left to zod.
 */
function isMapping(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Every element through `each`, into a new array (as zod gives), or BAIL. */
function listOf(v: unknown, each: (x: unknown) => unknown): unknown[] | Bail {
  if (!Array.isArray(v)) return BAIL;
  const out: unknown[] = [];
  for (const x of v) {
    const converted = each(x);
    if (converted === BAIL) return BAIL;
    out.push(converted);
  }
  return out;
}

const string: Check = (v) => (nonEmpty(v) ? v : BAIL);
const names: Check = (v) => listOf(v, string);
const plugin = (v: unknown): unknown => (pluginShapeProblem(v) === undefined ? v : BAIL);
const plugins: Check = (v) => listOf(v, plugin);

/** `name` or `{ name, before?, after? }` (a strict object: zod's copy has the keys in this order). */
function stageDecl(v: unknown): unknown {
  if (nonEmpty(v)) return v;
  if (!isMapping(v) || !nonEmpty(v.name)) return BAIL;
  const out: Record<string, unknown> = { name: v.name };
  for (const key of Object.keys(v)) {
    if (key === 'name') continue;
    if ((key !== 'before' && key !== 'after') || !nonEmpty(v[key])) return BAIL;
  }
  for (const key of ['before', 'after']) if (key in v) out[key] = v[key];
  return out;
}
const stages: Check = (v) => listOf(v, stageDecl);

/**
 * A preset object: only checked, as validateConfig keeps the presets as given (their identity says whether one is
 * shipped with ctnr). A loose object: other keys are the preset's own business. A preset within itself (`within`:
 * the presets being checked around this one) is left to zod, which does not recurse forever.
 */
function presetValid(v: unknown, within: readonly unknown[] = []): boolean {
  if (!isMapping(v) || !nonEmpty(v.name) || within.includes(v)) return false;
  const inner = [...within, v];
  const given = (key: string, check: Check) => v[key] === undefined || check(v[key]) !== BAIL;
  return given('presets', (p) => listOf(p, (x) => (presetValid(x, inner) ? x : BAIL))) && given('stages', stages) && given('plugins', plugins) && given('disable', names);
}
const presets: Check = (v) => listOf(v, (x) => (nonEmpty(x) || presetValid(x) ? x : BAIL));

type Key = keyof CtnrConfig;

/** The keys this path checks, with the hash of their schema's structure when the check was written. */
const CHECKS: ReadonlyArray<[Key, Check, string]> = [
  ['presets', presets, '2d9d481f'],
  ['plugins', plugins, '2e0376a8'],
  ['stages', stages, '836d63e4'],
  ['disable', names, '7505e394'],
  ['pullPolicy', string, 'bc8c4554'],
  ['dataDir', string, 'bc8c4554'],
  ['builder', string, 'bc8c4554'],
];

/** The keys with a check. */
export const CHECKED_KEYS: readonly string[] = CHECKS.map(([k]) => k);

/** The answer in the CLI's bundle, as JSON (scripts/bundle-cli.mjs); unbundled, checkConfigChecks() runs on first use. */
declare const CTNR_FAST_CONFIG: string | undefined;

let table: Map<string, { convert: Check; index: number }> | undefined;

function tableOf(): Map<string, { convert: Check; index: number }> {
  return (table ??= fastPathTable(typeof CTNR_FAST_CONFIG === 'undefined' ? checkConfigChecks() : (JSON.parse(CTNR_FAST_CONFIG) as FastPathCheck), CHECKS));
}

/** Keys whose check is in use (the others' schemas changed since their check was written). */
export function fastConfigKeys(): string[] {
  return [...tableOf().keys()];
}

/** Compares every check's hash with its key's schema as it is now (this builds the config schemas). */
export function checkConfigChecks(): FastPathCheck {
  return checkFastPath(configSchemas().configSchema.shape, CHECKS);
}

/**
 * What validateConfig returns for `raw` when it is valid, checked without zod; undefined when this path does not
 * handle a key or a value (zod decides then).
 */
export function fastConfig(raw: unknown): CtnrConfig | undefined {
  if (!isMapping(raw)) return undefined;
  const checks = tableOf();
  const known: Array<{ index: number; key: string; value: unknown }> = [];
  for (const key of Object.keys(raw)) {
    const entry = checks.get(key);
    if (entry === undefined) return undefined;
    // Every config key is optional: zod keeps one given as undefined.
    const value = raw[key] === undefined ? undefined : entry.convert(raw[key]);
    if (value === BAIL) return undefined;
    known.push({ index: entry.index, key, value });
  }
  known.sort((a, b) => a.index - b.index);
  const out: Record<string, unknown> = {};
  for (const k of known) out[k.key] = k.key === 'presets' ? raw.presets : k.value;
  return out as CtnrConfig;
}
