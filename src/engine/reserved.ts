/**
 * Names that belong to ctnr itself. The engine enforces them because the trace and the annotations are what an
 * auditor and the supervisor trust: a plugin from a config cannot take a ctnr plugin's name (without `replace`),
 * and only plugins named `ctnr:…` may write `io.ctnr.*` annotations.
 */
export const CTNR_PLUGIN_PREFIX = 'ctnr:';
export const CTNR_ANNOTATION_PREFIX = 'io.ctnr.';
/** The trace owner of every value in the base spec. */
export const BASE_OWNER = 'ctnr:base';

/**
 * One set per process, shared by every copy of ctnr's modules loaded in it (a config loaded through jiti that
 * imports ctnr's presets from source, a preset package with ctnr bundled): a preset made by any copy of ctnr's
 * factories is recognised by the engine that runs it. Code in the process could add to it on purpose, as it could
 * patch any module; what it stops is trust taken by a name.
 */
const SHIPPED_KEY = Symbol.for('ctnr.shipped-presets');
const shipped: WeakSet<object> = ((globalThis as Record<symbol, unknown>)[SHIPPED_KEY] ??= new WeakSet<object>()) as WeakSet<object>;

/**
 * Mark `preset` as shipped with ctnr (ctnr's own preset factories call this; it is exported from neither `ctnr`
 * nor `ctnr/plugin`). Only the plugins of such a preset are trusted with the spec itself, skip the op shape
 * checks and may be named `ctnr:…` (and so write `io.ctnr.*` annotations). A name proves nothing: a preset from
 * a config or a package that calls itself `ctnr:…` is refused.
 */
export function shippedPreset<T extends object>(preset: T): T {
  shipped.add(preset);
  return preset;
}

export function isShippedPreset(preset: object): boolean {
  return shipped.has(preset);
}
