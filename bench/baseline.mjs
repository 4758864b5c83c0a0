// The hand-written baseline: the same config.json for bench/fixture/compose.yaml's `api` service, built by
// direct mutation of the base spec (containerd SpecOpts style) — no patches, no trace, no hooks, no checks.
// It reads the same normalised service the engine gets and calls the same seccomp data builder, so the ratio
// measures what the plugin pipeline itself costs. bench/throughput.mjs checks both produce equal JSON.
import { createBaseSpec } from '../dist/presets/engines/docker-base.js';
import { defaultSeccomp } from '../dist/src/linux/seccomp/default.js';

const BIND = ['rbind', 'rprivate'];
const ETC_BIND = ['rbind', 'rprivate', 'ro', 'nosuid', 'nodev', 'noexec'];
const CAP_ORDER = ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'];

export function buildDirect(input, env, hook) {
  const s = input.service;
  const spec = createBaseSpec();
  const p = spec.process;
  p.args = [...s.entrypoint, ...s.command];
  for (const [k, v] of s.environment) p.env.push(`${k}=${v}`);
  const [uid, gid] = s.user.split(':').map(Number);
  p.user = { uid, gid };
  const caps = CAP_ORDER.filter((c) => s.cap_add.some((a) => `CAP_${a}` === c));
  p.capabilities = { bounding: caps, effective: [], permitted: [] };
  p.rlimits = Object.entries(s.ulimits).map(([name, v]) => {
    const { soft, hard } = typeof v === 'number' ? { soft: v, hard: v } : v;
    return { type: `RLIMIT_${name.toUpperCase()}`, hard, soft };
  });
  for (const v of s.volumes) {
    if (v.type === 'tmpfs') {
      spec.mounts.push({ destination: v.target, type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', `size=${v.tmpfs.size}`] });
    } else {
      const source = v.type === 'volume' ? `${env.dataDir}/volumes/${input.project.name}_${v.source}` : v.source;
      spec.mounts.push({ destination: v.target, type: 'bind', source, options: v.read_only ? [...BIND, 'ro'] : [...BIND] });
    }
  }
  spec.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
  spec.linux.seccomp = defaultSeccomp({ arch: env.arch, bounding: caps, kernel: env.kernelRelease });
  spec.hostname = input.name;
  spec.linux.sysctl = { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' };
  for (const f of ['hostname', 'hosts', 'resolv.conf']) {
    spec.mounts.push({ destination: `/etc/${f}`, type: 'bind', source: `files/etc/${f}`, options: [...ETC_BIND] });
  }
  spec.hooks = {
    createRuntime: [{ ...hook, args: [...hook.args, 'up'], env: [...hook.env] }],
    poststop: [{ ...hook, args: [...hook.args, 'down'], env: [...hook.env] }],
  };
  return spec;
}
