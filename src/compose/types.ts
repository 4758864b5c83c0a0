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
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
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
  memory?: number;
  pids?: number;
}

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
  ipv4_address?: string;
  ipv6_address?: string;
  priority?: number;
}

export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}
