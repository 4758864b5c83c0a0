/**
 * Names that belong to ctnr itself. The engine enforces them because the trace and the annotations are what an
 * auditor and the supervisor trust: a plugin from a config cannot take a ctnr plugin's name (without `replace`),
 * and only plugins named `ctnr:…` may write `io.ctnr.*` annotations.
 */
export const CTNR_PLUGIN_PREFIX = 'ctnr:';
export const CTNR_ANNOTATION_PREFIX = 'io.ctnr.';
/** The trace owner of every value in the base spec. */
export const BASE_OWNER = 'ctnr:base';
