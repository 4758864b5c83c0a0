/**
 * The long forms of the `Service` contract (service.ts): the shapes the compose loader normalises short syntax
 * into (compose-spec "long syntax"), so plugins read one shape. Sizes are bytes, durations nanoseconds
 * (compose-go's units), paths absolute (relative ones resolved against the compose file's directory, `~`
 * expanded). They live in the engine core because plugins read them; the compose schema
 * (src/compose/service.ts) produces them and src/compose/types.ts re-exports them.
 */

export interface VolumeMount {
  type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  /** Host path (bind, absolute), volume name (volume), image reference (image); absent for anonymous volumes and tmpfs. */
  source?: string;
  /** Absolute path in the container. */
  target: string;
  read_only?: boolean;
  /** `z` / `Z` relabelling, from the short syntax or `bind.selinux`. */
  selinux?: 'z' | 'Z';
  consistency?: string;
  bind?: { propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave'; create_host_path?: boolean; selinux?: 'z' | 'Z'; recursive?: 'enabled' | 'disabled' | 'writable' | 'readonly' };
  volume?: { nocopy?: boolean; subpath?: string; labels?: Record<string, string> };
  /** `size` in bytes, `mode` as a number (octal strings are converted). */
  tmpfs?: { size?: number; mode?: number };
  image?: { subpath?: string };
}

export interface PortMapping {
  /** Container port. */
  target: number;
  /** Host port (the HOST side of `HOST:CONTAINER`); absent = ephemeral. */
  published?: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  host_ip?: string;
  mode?: 'ingress' | 'host';
  name?: string;
  app_protocol?: string;
}

export interface TmpfsMount {
  /** Absolute path in the container. */
  target: string;
  /** Mount options as given (`size=64m,mode=1777`), size normalised to bytes where given. */
  options: string[];
}

export interface DeviceMapping {
  /** Host device path. */
  source: string;
  /** Path in the container (the source when not given). */
  target: string;
  /** A subset of `rwm` (default `rwm`). */
  permissions: string;
}

/**
 * A `devices:` entry that names a CDI device (`vendor.com/class=name`, short or long syntax `source:`) rather
 * than a host path: `ctnr:cdi` resolves it against the CDI spec files (docs/cdi.md).
 */
export interface CdiDeviceRef {
  /** The fully-qualified CDI device name, as written. */
  cdi: string;
}

/**
 * A device request: a `gpus:` list entry or a `deploy.resources.reservations.devices` entry (compose-spec
 * `devices`). ctnr honours them through CDI (docs/cdi.md): `driver: cdi` with `device_ids` naming CDI devices,
 * or a request for GPUs (`gpus:`, or `capabilities` holding `gpu`) from the CDI spec whose class is `gpu`.
 */
export interface DeviceRequest {
  capabilities?: string[];
  /** How many devices; `'all'` for `all` or `-1`. Absent with no `device_ids`: all of them. */
  count?: number | 'all';
  device_ids?: string[];
  driver?: string;
  options?: Record<string, string>;
}

/** One `extra_hosts` entry: `ip` may be `host-gateway` (resolved by the plugin from `env.hostGateway`). */
export interface ExtraHost {
  host: string;
  ip: string;
}

/** An rlimit; a single number in compose sets both. */
export interface Ulimit {
  soft: number;
  hard: number;
}

/** `deploy.resources.limits`. */
export interface ResourceSpec {
  cpus?: number;
  /** Bytes. */
  memory?: number;
  pids?: number;
}

/** `deploy.resources`: limits map to cgroups; reservations.memory to a soft limit. */
export interface DeployResources {
  limits?: ResourceSpec;
  /** `memory` in bytes. */
  reservations?: { cpus?: number; memory?: number; generic_resources?: unknown[]; devices?: DeviceRequest[] };
}

/** `deploy.restart_policy`: `delay` and `window` in nanoseconds. */
export interface RestartPolicy {
  condition?: string;
  delay?: number;
  max_attempts?: number;
  window?: number;
}

/** `deploy`: only `resources` changes the spec; the rest is swarm metadata, validated and carried. */
export interface Deploy {
  mode?: string;
  endpoint_mode?: string;
  replicas?: number;
  labels?: Record<string, string>;
  rollback_config?: Record<string, unknown>;
  update_config?: Record<string, unknown>;
  resources?: DeployResources;
  restart_policy?: RestartPolicy;
  placement?: Record<string, unknown>;
}

export interface BlkioConfig {
  /** 10–1000. */
  weight?: number;
  weight_device?: Array<{ path: string; weight: number }>;
  /** `rate` in bytes per second. */
  device_read_bps?: Array<{ path: string; rate: number }>;
  device_write_bps?: Array<{ path: string; rate: number }>;
  /** `rate` in operations per second. */
  device_read_iops?: Array<{ path: string; rate: number }>;
  device_write_iops?: Array<{ path: string; rate: number }>;
}

export interface EnvFile {
  /** Absolute after loading. */
  path: string;
  required: boolean;
  format?: string;
}

export interface ExtendsRef {
  service: string;
  file?: string;
}

export interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  restart?: boolean;
  required: boolean;
}

/** Durations in ns. A string `test` becomes `['CMD-SHELL', s]`; `['NONE']` sets `disable`. */
export interface Healthcheck {
  test?: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  start_period?: number;
  start_interval?: number;
  disable?: boolean;
}

/** A service's entry under `networks:` (a list entry is `null`: attached, no settings). */
export interface ServiceNetwork {
  aliases?: string[];
  interface_name?: string;
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  driver_opts?: Record<string, string>;
  priority?: number;
  gw_priority?: number;
}

/**
 * A `pre_start` / `post_start` / `pre_stop` entry (compose-spec `service_hook`): a command run in the running
 * container, as `docker exec` runs it (pre_start: in a container of its own made from the service, before it). `command` is words (a string is split as a shell would); `environment` is ordered
 * `[KEY, VALUE]` pairs over the container's, `null` for a `KEY` without a value.
 */
export interface ServiceHook {
  command: string[];
  /** `USER`, `UID`, `USER:GROUP` or `UID:GID` (default: the container's user). */
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: Array<[string, string | null]>;
  /** `pre_start` only: the hook container's image (default: the service's). */
  image?: string;
}

/** A service's `secrets:`/`configs:` entry; `source` names the top-level secret/config. */
export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  /** A number (octal strings are converted). */
  mode?: number;
}

/** `logging:` (what happens to a detached container's output: src/runtime/log-policy.ts). */
export interface Logging {
  driver?: string;
  options?: Record<string, string | number | null>;
}

/**
 * One `security_opt` entry, parsed once by the loader as docker reads it: `key=value`, the legacy `key:value`,
 * or a bare key (`no-new-privileges`, value `""`). An entry that is not of that form keeps its whole text as
 * `key` (and value `""`), so the plugin that rejects unknown keys names it. `index` is the entry's position in
 * `security_opt`: the error path of a plugin that refuses it is `['security_opt', index]`.
 */
export interface SecurityOpt {
  key: string;
  value: string;
  index: number;
}

/**
 * The `security_opt` keys ctnr knows; each stage's plugin reads its own (`ctnr:security-opt` the process ones,
 * `ctnr:masked-paths` systempaths/mask/unmask, `ctnr:seccomp` seccomp) and `ctnr:security-opt` rejects the rest.
 */
export const SECURITY_OPT_KEYS = ['no-new-privileges', 'apparmor', 'label', 'seccomp', 'systempaths', 'mask', 'unmask'] as const;

export type SecurityOptKey = (typeof SECURITY_OPT_KEYS)[number];
