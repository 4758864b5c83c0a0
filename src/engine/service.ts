import type {
  BlkioConfig,
  DependsOn,
  CdiDeviceRef,
  Deploy,
  DeviceMapping,
  DeviceRequest,
  EnvFile,
  ExtendsRef,
  ExtraHost,
  FileReference,
  Healthcheck,
  Logging,
  PortMapping,
  SecurityOpt,
  ServiceHook,
  ServiceNetwork,
  TmpfsMount,
  Ulimit,
  VolumeMount,
} from './service-types.js';

export type {
  BlkioConfig,
  DependsOn,
  Deploy,
  CdiDeviceRef,
  DeployResources,
  DeviceMapping,
  DeviceRequest,
  EnvFile,
  ExtendsRef,
  ExtraHost,
  FileReference,
  Healthcheck,
  Logging,
  PortMapping,
  ResourceSpec,
  RestartPolicy,
  SecurityOpt,
  SecurityOptKey,
  ServiceHook,
  ServiceNetwork,
  TmpfsMount,
  Ulimit,
  VolumeMount,
} from './service-types.js';
export { SECURITY_OPT_KEYS } from './service-types.js';

/**
 * The compose service as plugins read it (`ctx.service`), written by hand so that a misspelt key
 * (`service.hostnme`) is a compile error: every compose-spec service key, validated and normalised by the
 * loader. Short syntax is turned into the long forms of service-types.ts; sizes are bytes, durations
 * nanoseconds (unless a key says otherwise); host paths are absolute; `list_or_dict` keys (labels,
 * annotations, sysctls) are objects without a prototype. What ctnr does with each key (mapped, carried,
 * ignored, refused) is src/compose/keys.ts; the compose schema (src/compose/service.ts) is checked at compile
 * time to produce exactly these keys with these types.
 *
 * Anything else reaches plugins through one field, {@link Service.extensions}.
 */
export interface Service {
  // ---------------------------------------------------------------------------------------- process
  /** Image reference; the image's config supplies defaults (env, user, cwd, args). */
  image?: string;
  /** Words (a string is split as a shell would); `null` clears the image's entrypoint. */
  entrypoint?: readonly string[] | null;
  /** Words (a string is split as a shell would); `null` clears the image's command. */
  command?: readonly string[] | null;
  /** Ordered `[KEY, VALUE]` pairs after `env_file` and variables are applied (a later key replaces an earlier one). */
  environment?: ReadonlyArray<readonly [string, string]>;
  /** Already read into `environment` by the loader. */
  env_file?: readonly EnvFile[];
  working_dir?: string;
  /** `USER`, `UID`, `USER:GROUP` or `UID:GID`; `""` means the image's user. */
  user?: string;
  /** Group names or gids, as strings. */
  group_add?: readonly string[];
  cap_add?: readonly string[];
  cap_drop?: readonly string[];
  privileged?: boolean;
  tty?: boolean;
  stdin_open?: boolean;
  /** By rlimit name without `RLIMIT_` (`nofile`). */
  ulimits?: Readonly<Record<string, Ulimit>>;
  /** -1000 to 1000. */
  oom_score_adj?: number;
  oom_kill_disable?: boolean;
  /** Parsed once by the loader; each entry keeps its index for error paths. */
  security_opt?: readonly SecurityOpt[];
  init?: boolean;
  read_only?: boolean;
  /** A signal name (`SIGTERM`, `RTMIN+3`) or number, as written. */
  stop_signal?: string;
  /** Nanoseconds. */
  stop_grace_period?: number;
  healthcheck?: Healthcheck;

  // ----------------------------------------------------------------------------------------- mounts
  volumes?: readonly VolumeMount[];
  volumes_from?: readonly string[];
  tmpfs?: readonly TmpfsMount[];
  /** Bytes. */
  shm_size?: number;
  /** Host device nodes, and CDI devices by name (`{ cdi: 'vendor.com/class=name' }`, read by ctnr:cdi). */
  devices?: ReadonlyArray<DeviceMapping | CdiDeviceRef>;
  /** `TYPE MAJOR:MINOR ACCESS` rules, as written. */
  device_cgroup_rules?: readonly string[];
  secrets?: readonly FileReference[];
  configs?: readonly FileReference[];
  storage_opt?: Readonly<Record<string, unknown>>;

  // -------------------------------------------------------------------------------------- resources
  /** Bytes. */
  mem_limit?: number;
  /** Bytes. */
  mem_reservation?: number;
  /** Bytes of memory plus swap, or -1 for unlimited. */
  memswap_limit?: number;
  /** 0–100. */
  mem_swappiness?: number;
  /** CPUs (fractional). */
  cpus?: number;
  cpu_shares?: number;
  /** Microseconds per period. */
  cpu_quota?: number;
  /** Microseconds. */
  cpu_period?: number;
  /** Microseconds (a duration in the file is converted). */
  cpu_rt_period?: number;
  /** Microseconds (a duration in the file is converted). */
  cpu_rt_runtime?: number;
  cpu_count?: number;
  /** 0–100. */
  cpu_percent?: number;
  /** CPU list (`0-3,5`). */
  cpuset?: string;
  pids_limit?: number;
  blkio_config?: BlkioConfig;
  deploy?: Deploy;
  cgroup?: 'host' | 'private';
  cgroup_parent?: string;
  /** GPUs from the CDI spec whose class is `gpu` (ctnr:cdi). */
  gpus?: 'all' | readonly DeviceRequest[];

  // ------------------------------------------------------------------------- namespaces and network
  /** `""` (unset), a word (`host`, `none`, `bridge`), `service:NAME` or `container:ID`. */
  network_mode?: string;
  /** By network name; `null` for an attachment without settings. */
  networks?: Readonly<Record<string, ServiceNetwork | null>>;
  ipc?: string;
  pid?: string | null;
  uts?: string;
  userns_mode?: string;
  hostname?: string;
  domainname?: string;
  mac_address?: string;
  /** Ranges are expanded: one entry per port. */
  ports?: readonly PortMapping[];
  /** `PORT[-PORT][/PROTO]`, as strings. */
  expose?: readonly string[];
  extra_hosts?: readonly ExtraHost[];
  dns?: readonly string[];
  dns_search?: readonly string[];
  dns_opt?: readonly string[];
  links?: readonly string[];
  external_links?: readonly string[];
  sysctls?: Readonly<Record<string, string>>;

  // --------------------------------------------------------------------------------------- metadata
  /** `label_file` entries merged in (labels win). */
  labels?: Readonly<Record<string, string>>;
  /** Already read into `labels` by the loader. */
  label_file?: readonly string[];
  annotations?: Readonly<Record<string, string>>;
  container_name?: string;
  restart?: string;
  depends_on?: Readonly<Record<string, DependsOn>>;
  profiles?: readonly string[];
  /** Resolved and removed by the loader. */
  extends?: ExtendsRef;
  /** `os/arch[/variant]`. */
  platform?: string;
  logging?: Logging;

  // --------------------------------------------------- outside one container's runtime (keys.ts says what happens)
  build?: string | Readonly<Record<string, unknown>>;
  develop?: Readonly<Record<string, unknown>> | null;
  pull_policy?: string;
  pull_refresh_after?: string;
  scale?: number;
  attach?: boolean;
  runtime?: string;
  isolation?: string;
  credential_spec?: Readonly<Record<string, unknown>>;
  /** Commands run in the container once it started (`ctnr up`, `ctnr run`). */
  post_start?: readonly ServiceHook[];
  /** Commands run in the container before it is stopped (`ctnr down`, scaling down). */
  pre_stop?: readonly ServiceHook[];
  /** Commands run before the container starts, each in a container of its own made from the service (`ctnr up`). */
  pre_start?: readonly ServiceHook[];
  provider?: Readonly<Record<string, unknown>>;
  models?: readonly string[] | Readonly<Record<string, unknown>>;
  use_api_socket?: boolean;

  // ------------------------------------------------------------------------------------- extensions
  /**
   * Everything that is not a compose-spec service key, by its own name: from a compose file the service's
   * `x-*` keys (`x-acme-team`), values as written (compose does not interpolate them), merged through
   * `extends` like any other key; code that builds a service itself may put any key here. Absent when there is
   * none. ctnr's own plugins read nothing here: it is for third-party plugins, which must check the values
   * they read.
   */
  extensions?: Readonly<Record<string, unknown>>;
}
