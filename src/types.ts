import type { Operation } from 'fast-json-patch';
import type { ZodType } from 'zod';
import type { ReadonlySpec } from './spec/types.js';
import type { Service } from './compose/service.js';
import type { ImageConfig } from './image/config.js';
import type { SourceLocation } from './errors.js';

export type { Operation };

/** What the machine and the command line say about where the bundle will run. */
export interface Env {
  /** Generate for an unprivileged user (user namespace, no cgroup limits). */
  rootless: boolean;
  /** The container's root filesystem on this host, when known (user/group names resolve against it). */
  rootfs?: string;
  /** Where named volumes and bundles live (`/var/lib/ctnr`, or `$XDG_DATA_HOME/ctnr` rootless). */
  dataDir: string;
  /** The uid/gid that will run the runtime (rootless mappings use them). */
  uid: number;
  gid: number;
  /** Target architecture in Go naming (amd64, arm64, …). */
  arch: string;
  /** Capabilities in the bounding set of the generating host, when known (privileged uses them). */
  hostCapabilities?: readonly string[];
  /** Free-form values a preset or the CLI passes on to plugins. */
  [key: string]: unknown;
}

/** Where a service came from: lets plugins resolve relative paths and point errors at lines. */
export interface ServiceSource {
  /** Compose file (absolute path), if the service came from one. */
  file?: string;
  /** Directory relative paths resolve against. */
  dir: string;
  /** Look up the location of a key path below `services.<name>` (e.g. `['ports', 1]`). */
  locate(path: ReadonlyArray<string | number>): SourceLocation | undefined;
}

export interface Project {
  name: string;
  /** Top-level compose tables a plugin may need (volumes, networks, secrets, configs). */
  volumes: Readonly<Record<string, unknown>>;
  networks: Readonly<Record<string, unknown>>;
  secrets: Readonly<Record<string, unknown>>;
  configs: Readonly<Record<string, unknown>>;
}

export interface Diagnostic {
  level: 'warning' | 'error';
  code: string;
  message: string;
  plugin?: string;
  /** Path below the service, e.g. `cap_add[0]`. */
  path?: string;
  location?: SourceLocation;
}

export interface TraceEntry {
  plugin: string;
  stage: string;
  presetChain: readonly string[];
  op: Operation;
  /** The pointer the op touched, with `-` resolved to the real index. */
  pointer: string;
  /** The plugin whose value this op replaced or removed (`ctnr:base` for the base spec). */
  overrode?: string;
}

export interface PluginContext<Options = unknown> {
  readonly serviceName: string;
  readonly service: Readonly<Service>;
  readonly project: Readonly<Project>;
  readonly source: ServiceSource;
  readonly image: Readonly<ImageConfig> | undefined;
  readonly spec: ReadonlySpec;
  readonly env: Readonly<Env>;
  readonly options: Options;
  /** Everything applied so far (validators see the whole pipeline's trace). */
  readonly trace: readonly TraceEntry[];
  /** Bundle files declared so far, by path (a later plugin may replace one by returning the same path). */
  readonly files: ReadonlyMap<string, Readonly<BundleFile> & { plugin: string }>;
  /** Which plugin last wrote `pointer` (or an ancestor of it), if any. */
  ownerOf(pointer: string): string | undefined;
  /** A user mistake that does not stop the pipeline. `path` is below the service (`cap_add[0]`). */
  warn(message: string, path?: string | ReadonlyArray<string | number>): void;
  /** A user mistake: the service fails after this plugin returns, with every error it reported. */
  error(message: string, path?: string | ReadonlyArray<string | number>, code?: string): void;
}

export type Enforce = 'pre' | 'post';

export interface Violation {
  control: string;
  pointer: string;
  message: string;
  /** The plugin that set the offending value (from the trace), filled in by the engine when missing. */
  plugin?: string;
}

/**
 * A file the bundle writer creates inside the bundle (generated /etc/hosts, secrets, anonymous volume
 * directories…). Plugins describe files as data next to their ops; `ctnr spec` writes none of them.
 */
export interface BundleFile {
  /** Path relative to the bundle directory, e.g. `files/etc/hosts`. No `..`, not absolute. */
  path: string;
  /** `file` (default) with `content` or `copyFrom`, or `directory`. */
  kind?: 'file' | 'directory';
  /** Text content. */
  content?: string;
  /** Copy the bytes of this host file at bundle time (never bind-mounted). */
  copyFrom?: string;
  /** Default 0o644 for files, 0o755 for directories. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Content is secret: never printed, traced or logged. */
  secret?: boolean;
}

/**
 * What `apply` may return: ops alone, or ops plus bundle files, plus host directories the bundle writer must
 * create (absolute paths, e.g. a bind source with `create_host_path`). Generating a spec writes nothing.
 */
export type PluginOutput = readonly Operation[] | { ops?: readonly Operation[]; files?: readonly BundleFile[]; hostDirs?: readonly string[] };

export interface Plugin<Options = any> {
  /** Unique in a plan; namespaced (`ctnr:args`, `acme:registry-mirror`). */
  readonly name: string;
  readonly stage: string;
  readonly enforce?: Enforce;
  readonly before?: readonly string[];
  readonly after?: readonly string[];
  readonly options?: Options;
  /**
   * A zod schema for `options`: `definePlugin` checks the options against it when the plugin is defined (a bad
   * value is a PLUGIN_OPTIONS error naming the plugin and the option's key path) and the plugin sees the parsed
   * value (defaults filled in) as `ctx.options`.
   */
  readonly optionsSchema?: ZodType;
  /**
   * Set when `apply` returns a promise without being an `async function` (an `async apply()` is detected by
   * itself). Synchronous plugins run without a promise per call.
   */
  readonly async?: boolean;
  /**
   * Milliseconds an async `apply`/`validate` may take before the service fails with PLUGIN_TIMEOUT naming this
   * plugin (default: the engine's `pluginTimeoutMs`, 30 000).
   */
  readonly timeoutMs?: number;
  /**
   * Take the place of an earlier plugin of the same name whose name starts with `ctnr:` (ctnr's own). Required
   * from configs and presets not shipped with ctnr, so that nothing takes a ctnr plugin's name by accident.
   */
  readonly replace?: boolean;
  /**
   * The mutator reads only `ctx.spec` (and `ctx.env`), never `ctx.service`: it also runs on a spec that did not
   * come from a compose file (ctnr-runtime's spec mode, docs/runtime.md), where the others are left out.
   */
  readonly anySpec?: boolean;
  /** Mutator: returns RFC 6902 ops against the current spec. Never mutates `ctx.spec`. */
  apply?(ctx: PluginContext<Options>): PluginOutput | Promise<PluginOutput>;
  /** Validator: runs after every mutator, sees the final spec and the trace. */
  validate?(ctx: PluginContext<Options>): readonly Violation[] | Promise<readonly Violation[]>;
}

export interface StageDeclaration {
  name: string;
  before?: string;
  after?: string;
}

export interface Preset {
  readonly name: string;
  /** Presets this one builds on; they resolve first, in order. */
  readonly presets?: readonly Preset[];
  /** Stages to append (a string) or insert (`{ name, before | after }`). */
  readonly stages?: ReadonlyArray<string | StageDeclaration>;
  readonly plugins?: readonly Plugin[];
  /** Plugin names to leave out of the plan. */
  readonly disable?: readonly string[];
}
