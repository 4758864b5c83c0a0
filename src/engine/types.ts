import type { Operation } from 'fast-json-patch';
import type { ZodType } from 'zod';
import type { Mount, ReadonlySpec } from '../spec/types.js';
import type { Service } from './service.js';
import type { SourceLocation } from './errors.js';

export type { Operation, Service };

/**
 * The parts of an OCI image config (`config` object of application/vnd.oci.image.config.v1+json) that
 * decide how a container runs. Docker combines them with the service: see the process plugins. Volumes,
 * ExposedPorts, StopSignal and Labels are carried for the mounts, network and annotations stages.
 */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  StopSignal?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  Volumes?: Record<string, object>;
}

/**
 * What the machine and the command line say about where the bundle will run (`ctx.env`). `createEnv`
 * (src/linux/env.ts) fills the required keys from this host; the CLI, `openProject`/`runService`
 * (src/project.ts), `ctnr run`/`up` and presets add the optional ones. Every key a plugin of ctnr reads is
 * here; values only a third-party preset and its own plugins agree on go in `extra`.
 */
export interface Env {
  /** Generate for an unprivileged user (user namespace, no cgroup limits). Default: not root. */
  rootless: boolean;
  /** The container's root filesystem on this host, when known (user/group names resolve against it). */
  rootfs?: string;
  /** Where named volumes and bundles live (`/var/lib/ctnr`, or `$XDG_DATA_HOME/ctnr` rootless). */
  dataDir: string;
  /** The uid that will run the runtime (rootless id mappings use it). */
  uid: number;
  /** The gid that will run the runtime. */
  gid: number;
  /** Target architecture in Go naming (amd64, arm64, …). */
  arch: string;
  /** Capabilities in the bounding set of the generating host, when known (privileged uses them). */
  hostCapabilities?: readonly string[];
  /**
   * The compose variables (the process environment over `.env`, as the loader read them): `environment:`
   * secrets and configs take their values from here. `runService` passes them; without it, `process.env`.
   */
  environment?: Readonly<Record<string, string | undefined>>;
  /** The runtime-spec version to write (`1.x.y`), when the runtime that will run the bundle supports only an older one (`ctnr run`/`up` set it). */
  ociVersion?: string;
  /** The init binary on this host for `init: true` (ctnr.config.ts `init.path`, `--init-path`); relative to the compose directory. */
  initPath?: string;
  /** A `PATH` to search for an init binary when `initPath` is not given (default: this process's `PATH`). */
  path?: string;
  /** `uname -r` of the host that will run the bundle: seccomp and sysctl rules that need a kernel version (default: this host's). */
  kernelRelease?: string;
  /** Host pids of running containers, by service name or container id: `network_mode: service:NAME`, `ipc: container:ID`, … join their namespaces. */
  containerPids?: Readonly<Record<string, number>>;
  /**
   * Containers ctnr started that this one may refer to, by container id and (for the project's own) by service
   * name (its first replica): `volumes_from` shares their mounts, `ipc: service:NAME` their /dev/shm,
   * `external_links` must name one. `ctnr up`/`run` fill it from their records; absent, such references fail.
   */
  containers?: Readonly<Record<string, ContainerFacts>>;
  /**
   * The host directory holding the files of each image a `type: image` volume mounts, by the volume's `source` as
   * written (ctnr's commands fill it from the image store: src/image/mounts.ts). Absent, such volumes fail.
   */
  imageMounts?: Readonly<Record<string, string>>;
  /** The container's id, for the last part of `linux.cgroupsPath` (default: the container name, or `PROJECT-SERVICE-1`). */
  containerId?: string;
  /** The host's address as containers see it: what `extra_hosts: NAME:host-gateway` resolves to. */
  hostGateway?: string;
  /** The host's hosts file, which a container with host networking gets (as it is, or with `extra_hosts` added). Default `/etc/hosts`. */
  hostHostsFile?: string;
  /** The host's resolv.conf, which the container's /etc/resolv.conf is made from unless `dns*` replace it. Default `/etc/resolv.conf`. */
  hostResolvConf?: string;
  /**
   * CDI spec directories, later ones winning. `openProject` (the CLI) sets `CTNR_CDI_SPEC_DIRS`, else ctnr.config
   * `cdi.specDirs`, else `/etc/cdi`, `/var/run/cdi`; absent, ctnr:cdi reads none (every CDI name is unknown).
   */
  cdiSpecDirs?: readonly string[];
  /**
   * Values that a preset (or the code that builds an engine) passes to its own plugins, by a name of its own
   * (`acme.registryMirror`). ctnr reads nothing here; a plugin must check what it reads.
   */
  extra?: Readonly<Record<string, unknown>>;
  /**
   * ctnr-runtime's spec mode (docs/runtime.md): the container an engine (podman, containerd, a kubelet) asked the
   * runtime to create, with the annotations it put on the spec. Absent when generating from a compose file.
   */
  container?: RuntimeContainer;
  /** ctnr-runtime's spec mode: host directories the engine binds its own files from (a hostPath policy allows them). */
  engineManagedDirs?: readonly string[];
}

/** A container as ctnr-runtime sees it (`env.container`): what policy exemptions and plugins can match on. */
export interface RuntimeContainer {
  /** The id on the runtime's command line. */
  id: string;
  /** Kubernetes container name when the CRI says it, else the id. */
  name: string;
  bundle: string;
  /** The spec's annotations as the engine wrote them (podman's io.podman.annotations.*, the CRI's io.kubernetes.cri.*, …). */
  annotations: Readonly<Record<string, string>>;
  kubernetes: KubernetesIdentity;
  /**
   * The image the engine created it from, where it says: the CRI's image annotation, else podman's record of the
   * container in containers/storage (src/runtime-shim/podman-image.ts).
   */
  image?: string;
}

/** Who a container is in Kubernetes, read from the CRI's and CRI-O's annotations. */
export interface KubernetesIdentity {
  namespace?: string;
  pod?: string;
  container?: string;
  image?: string;
  /** The pod sandbox's id (engine-managed files of the pod live under a directory of that name). */
  sandboxId?: string;
  /** `container` or `sandbox` (the pause container). */
  containerType?: string;
}

/** What `env.containers` says about one container ctnr started. */
export interface ContainerFacts {
  id: string;
  /** Host pid of its process, while it runs. */
  pid?: number;
  /** Its `ipc` mode as written (`shareable`, `private`, `host`, …; "" when unset). */
  ipc?: string;
  /** Host directory holding its /dev/shm (an `ipc: shareable` container's), which joiners bind. */
  shm?: string;
  /** Its volumes and binds, sources absolute: what `volumes_from` shares. */
  mounts?: readonly Mount[];
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
  /**
   * Where the plugin took the value from when not from the compose file (ctnr:cdi: the CDI spec file and the
   * key in it): the op's own `source` member, a string, which applying the op ignores (RFC 6902 §4).
   */
  source?: string;
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
  /**
   * A user mistake that does not stop the pipeline. `path` is below the service (`cap_add[0]`); `code` is the
   * plugin's own word for it in diagnostics (`--json`, reports), default `WARN`.
   */
  warn(message: string, path?: string | ReadonlyArray<string | number>, code?: string): void;
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
  /** `file` (default) with `content`, `json` or `copyFrom`, or `directory`. */
  kind?: 'file' | 'directory';
  /** Text content. */
  content?: string;
  /**
   * JSON data in place of `content`: the bundle writer serializes it (one line, then a newline) when it writes
   * the bundle, so `ctnr spec`, which writes no files, never pays for it. Read a file's bytes with `fileContent`.
   */
  json?: unknown;
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
   * Ignored; kept so that plugins written for ctnr 0.1 still type-check. `apply` and `validate` may return
   * their result or a promise of it, and the engine awaits only a thenable.
   * @deprecated
   */
  readonly async?: boolean;
  /**
   * The mutator reads only `ctx.spec` (and `ctx.env`), never `ctx.service`: it also runs on a spec that did not
   * come from a compose file (ctnr-runtime's spec mode, docs/runtime.md), where the others are left out.
   */
  readonly anySpec?: boolean;
  /**
   * Validator: also judges the processes `ctnr-runtime exec --process FILE` starts in a running container, on the
   * container's config.json with `process` replaced by that one (docs/runtime.md). Others judge containers only.
   */
  readonly exec?: boolean;
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
