import { createEngine as createCoreEngine, type Engine, type EngineOptions as CoreEngineOptions } from './engine/engine.js';
import { createBaseSpec } from '../presets/engines/docker-base.js';

export type { Engine, Result, ServiceInput, StageEvent } from './engine/engine.js';

export interface EngineOptions extends Omit<CoreEngineOptions, 'baseSpec'> {
  /** The spec the first plugin sees, made fresh for every service (default: docker's defaults, `createBaseSpec`). */
  baseSpec?: () => import('./spec/types.js').Spec;
}

/** The engine with docker's base spec unless another is given: what `ctnr`'s API and CLI use. */
export function createEngine(options: EngineOptions = {}): Engine {
  return createCoreEngine({ ...options, baseSpec: options.baseSpec ?? createBaseSpec });
}
