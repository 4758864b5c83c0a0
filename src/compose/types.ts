/**
 * Long-form shapes the compose loader normalises short syntax into (compose-spec "long syntax"), so plugins
 * read one shape. Sizes are bytes, durations are nanoseconds (compose-go's units), paths are absolute
 * (relative ones resolved against the compose file's directory, `~` expanded).
 */

export interface VolumeMount {
  type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  /** Host path (bind, absolute), volume name (volume), absent for anonymous volumes and tmpfs. */
  source?: string;
  /** Absolute path in the container. */
  target: string;
  read_only?: boolean;
  /** `z` / `Z` relabelling requested with the short syntax. */
  selinux?: 'z' | 'Z';
  consistency?: string;
  bind?: { propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave'; create_host_path?: boolean; selinux?: 'z' | 'Z'; recursive?: 'enabled' | 'disabled' | 'writable' | 'readonly' };
  volume?: { nocopy?: boolean; subpath?: string; labels?: Record<string, string> };
  /** size in bytes, mode as a number (octal strings are converted). */
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
  target: string;
  /** Mount options as given (`size=64m,mode=1777`), size normalised to bytes where given. */
  options: string[];
}

export interface DeviceMapping {
  source: string;
  target: string;
  /** `rwm` subset. */
  permissions: string;
}

export interface ExtraHost {
  host: string;
  ip: string;
}

export interface Ulimit {
  soft: number;
  hard: number;
}

export interface ResourceSpec {
  cpus?: number;
  /** Bytes. */
  memory?: number;
  pids?: number;
}

/** `deploy.resources`: limits map to cgroups; reservations.memory to a soft limit. */
export interface DeployResources {
  limits?: ResourceSpec;
  reservations?: { cpus?: number; memory?: number; generic_resources?: unknown[]; devices?: Array<Record<string, unknown>> };
}

export interface BlkioConfig {
  weight?: number;
  weight_device?: Array<{ path: string; weight: number }>;
  /** rate in bytes per second. */
  device_read_bps?: Array<{ path: string; rate: number }>;
  device_write_bps?: Array<{ path: string; rate: number }>;
  /** rate in operations per second. */
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

/** A service's `secrets:`/`configs:` entry; `source` names the top-level secret/config. */
export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}
