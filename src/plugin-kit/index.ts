/**
 * `ctnr/plugin`: what a plugin author needs, and nothing of the CLI. `definePlugin` (with an optional zod
 * `optionsSchema`), the `op` builders, and `testPlugin` to run one plugin alone through the engine's checks.
 * docs/plugins.md describes the contract.
 */
export { definePlugin } from '../engine/define.js';
/** zod, for `optionsSchema` (the copy ctnr validates with). */
export { z } from 'zod';
export { op } from './op.js';
export { testPlugin, TEST_ENV, type TestPluginOptions, type TestPluginResult } from './test-plugin.js';
export { CtnrError, isCtnrError, type ErrorCode } from '../engine/errors.js';
export type {
  BundleFile, Diagnostic, Enforce, Env, Operation, Plugin, PluginContext, PluginOutput, Project, ServiceSource, TraceEntry, Violation,
} from '../engine/types.js';
export type { Mount, ReadonlySpec, Spec } from '../spec/types.js';
/** The service a plugin reads (`ctx.service`) and its long forms: docs/plugins.md, "What a plugin reads". */
export type {
  BlkioConfig, DependsOn, Deploy, DeployResources, DeviceMapping, EnvFile, ExtendsRef, ExtraHost, FileReference, Healthcheck, Logging,
  PortMapping, ResourceSpec, RestartPolicy, SecurityOpt, SecurityOptKey, Service, ServiceNetwork, TmpfsMount, Ulimit, VolumeMount,
} from '../engine/service.js';
export type { ImageConfig } from '../image/config.js';
