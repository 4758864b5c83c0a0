/**
 * The error helpers of the engine core, for the modules every ctnr-runtime command loads (./lib.ts has the
 * rest of the core and is loaded for `create` only). When the core moves, only this path changes.
 */
export { CtnrError, formatError, isCtnrError, escapeControls, type ErrorCode } from '../engine/errors.js';
