/**
 * What ctnr does with every compose-spec service key. Loaders that silently drop keys let users find out at
 * run time; here every key has exactly one class and a reason:
 *
 * - mapped:  changes the generated spec (or the loader's result, e.g. `env_file` → environment)
 * - carried: no spec effect, kept on the service as metadata for plugins/tools (e.g. `restart`)
 * - ignored: outside what a single container bundle is (build, swarm, Windows); loading notes it
 * - refused: affects the running container but ctnr cannot honour it yet: an error, never a silent drop
 *            (`--allow-unsupported` turns refusals into warnings)
 *
 * Nested keys (`deploy.resources.limits`) are classified where their parent is only partly mapped.
 * `ctnr keys` prints this table; a test checks it covers every key of the compose-spec schema.
 */

export type KeyClass = 'mapped' | 'carried' | 'ignored' | 'refused';

export interface KeyPolicy {
  key: string;
  class: KeyClass;
  /** What ctnr does with it / why it is ignored or refused. */
  note: string;
}

const m = (key: string, note: string): KeyPolicy => ({ key, class: 'mapped', note });
const c = (key: string, note: string): KeyPolicy => ({ key, class: 'carried', note });
const i = (key: string, note: string): KeyPolicy => ({ key, class: 'ignored', note });
const r = (key: string, note: string): KeyPolicy => ({ key, class: 'refused', note });

export const KEY_POLICY: readonly KeyPolicy[] = [
  // process
  m('image', 'image config and rootfs: --rootfs / --image / --image-config / config images, else the image store (pulled per pull_policy)'),
  m('pull_policy', 'when the store\'s copy is pulled: always, missing (if_not_present), never, daily, weekly, every_<duration>, refresh; --pull wins; build: a service with build: is built at every up'),
  m('pull_refresh_after', 'with pull_policy: refresh, how old the stored copy may get (e.g. 12h)'),
  m('command', 'process.args (after the entrypoint)'),
  m('entrypoint', 'process.args'),
  m('environment', 'process.env'),
  m('env_file', 'read by the loader into environment (environment wins)'),
  m('working_dir', 'process.cwd'),
  m('user', 'process.user (names resolve in the rootfs /etc/passwd)'),
  m('group_add', 'process.user.additionalGids'),
  m('cap_add', 'process.capabilities'),
  m('cap_drop', 'process.capabilities'),
  m('privileged', 'all capabilities, devices, no masked paths'),
  m('tty', 'process.terminal'),
  m('stdin_open', 'process.terminal / stdin handling'),
  m('ulimits', 'process.rlimits'),
  m('oom_score_adj', 'process.oomScoreAdj'),
  m('security_opt', 'seccomp, no-new-privileges, apparmor, label, masks'),
  m('init', 'a static init from the host (tini, tini-static, catatonit, docker-init) as pid 1, at /sbin/docker-init'),
  m('read_only', 'root.readonly'),
  m('stop_signal', 'annotation org.opencontainers.image.stopSignal'),
  m('stop_grace_period', 'annotation (ns) for the runner'),
  m('pre_start', 'commands run before ctnr up starts the service, each in a one-off container made from it (a failure stops the service)'),
  m('post_start', 'commands run in the container once it started (ctnr up / run, with the runtime\'s exec)'),
  m('pre_stop', 'commands run in the container before ctnr down (or a scale-down by ctnr up) stops it (a failure keeps it running)'),
  m('healthcheck', 'annotation io.ctnr.healthcheck (over the image\'s Healthcheck); ctnr up probes it for depends_on service_healthy'),
  // mounts
  m('volumes', 'mounts (bind, named volume, tmpfs, image: read-only from the image store); empty volumes are filled from the image unless volume.nocopy'),
  m('volumes_from', 'SERVICE / service:SERVICE / container:ID [:ro|:rw]: its volumes and binds, resolved by ctnr up / run'),
  m('tmpfs', 'tmpfs mounts'),
  m('shm_size', '/dev/shm size'),
  m('devices', 'linux.devices + device cgroup rules; CDI names (vendor.com/class=name) through CDI specs'),
  m('device_cgroup_rules', 'linux.resources.devices'),
  m('secrets', 'read-only binds under /run/secrets of copies made in the bundle (external secrets are refused)'),
  m('configs', 'read-only binds of copies made in the bundle (file, environment or content; external configs are refused)'),
  // resources
  m('mem_limit', 'linux.resources.memory.limit'),
  m('mem_reservation', 'linux.resources.memory.reservation'),
  m('memswap_limit', 'linux.resources.memory.swap'),
  m('mem_swappiness', 'linux.resources.memory.swappiness'),
  m('cpus', 'linux.resources.cpu quota/period'),
  m('cpu_shares', 'linux.resources.cpu.shares'),
  m('cpu_quota', 'linux.resources.cpu.quota'),
  m('cpu_period', 'linux.resources.cpu.period'),
  m('cpu_rt_period', 'linux.resources.cpu.realtimePeriod'),
  m('cpu_rt_runtime', 'linux.resources.cpu.realtimeRuntime'),
  m('cpuset', 'linux.resources.cpu.cpus'),
  m('pids_limit', 'linux.resources.pids.limit'),
  m('blkio_config', 'linux.resources.blockIO'),
  m('deploy', 'deploy.resources and deploy.replicas are mapped; see the deploy.* rows'),
  m('deploy.resources.limits', 'linux.resources (cpus, memory, pids)'),
  m('deploy.resources.reservations.cpus', 'linux.resources.cpu.shares'),
  m('deploy.resources.reservations.memory', 'linux.resources.memory.reservation'),
  m('deploy.resources.reservations.devices', 'CDI devices: driver cdi + device_ids, or capabilities [gpu] from the CDI spec of class gpu'),
  r('deploy.resources.reservations.generic_resources', 'swarm generic resources: a swarm node advertises them, and ctnr has no swarm'),
  m('deploy.replicas', 'ctnr up starts that many containers (as scale)'),
  m('deploy.restart_policy', 'condition (none, on-failure, any) and max_attempts: as restart:, which it wins over; delay and window are not read (docker compose outside swarm ignores them too)'),
  c('deploy.labels', 'swarm service labels (not container labels)'),
  i('deploy.mode', 'swarm'),
  i('deploy.endpoint_mode', 'swarm'),
  i('deploy.placement', 'swarm'),
  i('deploy.update_config', 'swarm'),
  i('deploy.rollback_config', 'swarm'),
  m('cgroup', 'cgroup namespace'),
  m('cgroup_parent', 'linux.cgroupsPath'),
  // namespaces and network
  m('network_mode', 'network namespace (none, host, bridge via CNI/slirp)'),
  m('networks', 'network attachment'),
  m('ipc', 'ipc namespace: private, shareable (its /dev/shm a tmpfs on the host), host, none, service:NAME / container:ID (joins a shareable one)'),
  m('pid', 'pid namespace'),
  m('uts', 'uts namespace'),
  m('userns_mode', 'user namespace'),
  m('hostname', 'spec hostname'),
  m('domainname', 'spec domainname'),
  m('ports', 'port forwarding'),
  m('expose', 'annotation org.opencontainers.image.exposedPorts'),
  m('extra_hosts', '/etc/hosts entries'),
  m('mac_address', 'MAC of the interface on the first network (CNI runtimeConfig.mac; slirp4netns --macaddress rootless)'),
  m('links', 'SERVICE[:ALIAS]: the alias resolves to the service\'s containers in /etc/hosts (network hook); a start dependency'),
  m('external_links', 'CONTAINER[:ALIAS]: the alias resolves to a container ctnr started, on a shared network'),
  m('dns', '/etc/resolv.conf nameservers'),
  m('dns_search', '/etc/resolv.conf search'),
  m('dns_opt', '/etc/resolv.conf options'),
  m('sysctls', 'linux.sysctl'),
  // metadata
  m('labels', 'annotations'),
  m('label_file', 'read by the loader into labels (labels win)'),
  m('annotations', 'annotations'),
  m('extends', 'resolved by the loader'),
  m('profiles', 'service selection (--profile)'),
  m('scale', 'ctnr up starts that many containers: one is <project>-<service>, more are <project>-<service>-<n> with that hostname; 0 starts none'),
  m('container_name', 'a network alias and podman\'s .containerenv name; not the container id (<project>-<service>); no scale above 1'),
  m('restart', 'ctnr up: a monitor process starts the container again when it ends (always, unless-stopped, on-failure[:MAX]; docker\'s back-off); not ctnr run, not after a reboot'),
  c('depends_on', 'ctnr up: dependencies first (brought in), waiting for service_healthy / service_completed_successfully; required: false may be missing; down stops them last'),
  m('platform', 'which platform\'s image is pulled, taken from the store or read from a layout (--platform wins; default: this host)'),
  // outside one container bundle
  m('build', 'built with podman, buildah or docker into the store (ctnr build; up, run and bundle create build what is missing); image: names it, else <project>-<service>; never pulled'),
  i('develop', 'compose watch is a development-loop feature'),
  i('attach', 'ctnr up starts detached without attaching; ctnr run always attaches'),
  m('logging', 'up and run -d: <bundle>/ctnr.log, which ctnr logs prints; json-file/local/k8s-file max-size and max-file rotate it (local: 20m × 5), none keeps nothing; other drivers: a warning, the file (ctnr run forwards stdio)'),
  i('isolation', 'Windows only'),
  i('credential_spec', 'Windows only'),
  i('cpu_count', 'Windows only'),
  i('cpu_percent', 'Windows only'),
  m('runtime', 'ctnr run / up: runc or crun runs the service\'s containers, over --runtime; another (runsc, kata, nvidia…) is refused: under runc it would get less isolation than it asks for'),
  // runtime-affecting, not honoured yet
  m('oom_kill_disable', 'linux.resources.memory.disableOOMKiller (cgroup v1 memory.oom_control; ignored by cgroup v2)'),
  r('storage_opt', 'storage driver options do not apply to a rootfs directory'),
  m('gpus', 'CDI devices of the CDI spec whose class is gpu (nvidia.com/gpu, …)'),
  // Newer than the compose-spec schema ctnr was written against; real files use it.
  r('provider', 'the service is not a container'),
  r('models', 'it hands the service a model served by Docker Model Runner, an engine service ctnr does not have'),
  r('use_api_socket', 'it mounts the API socket and credentials of the Docker engine; ctnr has no engine API to give a container'),
];

const BY_KEY = new Map(KEY_POLICY.map((p) => [p.key, p]));

export function keyPolicy(key: string): KeyPolicy | undefined {
  return BY_KEY.get(key);
}

/** Top-level service keys (no dotted rows): the names a did-you-mean suggests. */
export const SERVICE_KEYS: readonly string[] = KEY_POLICY.filter((p) => !p.key.includes('.')).map((p) => p.key);

/** Dotted rows below `deploy` as key paths, for the loader's nested checks. */
export const NESTED_POLICIES: readonly KeyPolicy[] = KEY_POLICY.filter((p) => p.key.includes('.'));
