/**
 * Every engine-core import of ctnr-runtime goes through this file. Not through src/index.ts: that entry pulls
 * the whole library (compose loader, image store, registries: 690 kB bundled against 54 kB for the engine), and
 * `create` has a time budget. When the core moves, only these paths change.
 */
export { createEngine, type Engine, type Result, type ServiceInput } from '../engine/engine.js';
export { CtnrError, formatError, isCtnrError, escapeControls, type ErrorCode } from './errors.js';
export { resolvePlan, type Plan, type PlannedPlugin } from '../engine/plan.js';
export { lookup, pointer } from '../engine/patch.js';
export type { Env, Plugin, Preset, TraceEntry, Violation } from '../engine/types.js';
export type { Spec } from '../spec/types.js';
export type { Service } from '../compose/service.js';
