import { describe, expect, it } from 'vitest';
import { runServiceYaml } from '../../helpers/engine.js';
import { defaultPreset } from '../../../presets/default.js';
import { podmanPreset } from '../../../presets/engines/podman.js';
import { containerdPreset } from '../../../presets/engines/containerd.js';
import { rootlessPreset } from '../../../presets/rootless.js';
import type { Plugin } from '../../../src/engine/types.js';

/**
 * Each engine preset's output for a plain service against that engine's documented defaults, written out
 * here from PEERS.md §3 (not imported from the presets, so a wrong list in a preset fails).
 */
const caps = (s: string) => s.split(/,\s*/).map((c) => `CAP_${c.trim()}`).sort();
const DOCS = {
  docker: {
    caps: caps('CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE'),
    masked: ['/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware'],
    readonly: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    noNewPrivileges: false,
    pids: undefined,
  },
  podman: {
    caps: caps('CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT'),
    masked: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware', '/sys/fs/selinux', '/proc/interrupts'],
    readonly: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    noNewPrivileges: false,
    pids: 2048,
  },
  containerd: {
    caps: caps('CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE'),
    masked: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/sys/devices/virtual/powercap'],
    readonly: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    noNewPrivileges: true,
    pids: undefined,
  },
};
const PRESETS = { docker: defaultPreset, podman: podmanPreset, containerd: containerdPreset };

describe('engine presets match the engines\' documented defaults', () => {
  it.each(Object.keys(DOCS) as Array<keyof typeof DOCS>)('%s', async (engine) => {
    const doc = DOCS[engine];
    const { spec, files } = await runServiceYaml({ image: 'busybox' }, { presets: [PRESETS[engine]()] });
    const c = spec.process!.capabilities!;
    for (const set of ['bounding', 'effective', 'permitted'] as const) expect([...c[set]!].sort(), set).toEqual(doc.caps);
    expect([...spec.linux!.maskedPaths!].sort()).toEqual([...doc.masked].sort());
    expect([...spec.linux!.readonlyPaths!].sort()).toEqual([...doc.readonly].sort());
    expect(spec.process!.noNewPrivileges ?? false).toBe(doc.noNewPrivileges);
    expect(spec.linux!.resources?.pids?.limit).toBe(doc.pids);
    // /dev/shm: every engine mounts a 64 MiB tmpfs nosuid,noexec,nodev,mode=1777 (podman on the host, bound into
    // the container: the bundle's ctnr/shm, which ctnr/ipc.json tells the launcher to mount).
    const shm = spec.mounts!.find((m) => m.destination === '/dev/shm')!;
    expect(shm.options).toEqual(expect.arrayContaining(['nosuid', 'noexec', 'nodev']));
    let tmpfsOptions = shm.options!;
    if (engine === 'podman') {
      expect(shm).toMatchObject({ type: 'bind', source: 'ctnr/shm' });
      tmpfsOptions = JSON.parse(files.find((f) => f.path === 'ctnr/ipc.json')!.content!).shm.options;
    } else {
      expect(shm.type).toBe('tmpfs');
    }
    expect(tmpfsOptions).toEqual(expect.arrayContaining(['nosuid', 'noexec', 'nodev', 'mode=1777']));
    expect(tmpfsOptions.find((o) => o.startsWith('size='))).toMatch(/^size=(65536k|67108864)$/);
  });

  it('podman: umask 0022', async () => {
    const { spec } = await runServiceYaml({}, { presets: [podmanPreset()] });
    expect(spec.process!.user.umask).toBe(0o022);
  });

  it('podman: a non-root user keeps its cap_add capabilities as ambient ones; docker clears them', async () => {
    const service = { user: '1000:1000', cap_add: ['NET_ADMIN'] };
    const podman = (await runServiceYaml(service, { presets: [podmanPreset()] })).spec.process!.capabilities!;
    expect(podman.ambient).toEqual(['CAP_NET_ADMIN']);
    expect(podman.effective).toEqual(['CAP_NET_ADMIN']);
    const docker = (await runServiceYaml(service)).spec.process!.capabilities!;
    expect(docker.effective).toEqual([]);
    expect(docker.ambient).toBeUndefined();
  });

  it('podman: the swapped capabilities plugin keeps its place and comes from the podman preset', async () => {
    const { trace } = await runServiceYaml({}, { presets: [podmanPreset()] });
    const write = trace.find((t) => t.plugin === 'ctnr:capabilities')!;
    expect(write.presetChain).toEqual(['api', 'ctnr:preset-podman']);
    const order = [...new Set(trace.filter((t) => t.stage === 'process').map((t) => t.plugin))];
    const docker = [...new Set((await runServiceYaml({})).trace.filter((t) => t.stage === 'process').map((t) => t.plugin))];
    expect(order.indexOf('ctnr:capabilities')).toBe(docker.indexOf('ctnr:capabilities'));
  });

  it('podman: pids_limit from the service wins over the default; rootless gets none', async () => {
    expect((await runServiceYaml({ pids_limit: 100 }, { presets: [podmanPreset()] })).spec.linux!.resources!.pids!.limit).toBe(100);
    const rootless = await runServiceYaml({}, { presets: [podmanPreset()], env: { rootless: true, uid: 1000, gid: 1000 } });
    expect(rootless.spec.linux!.resources?.pids).toBeUndefined();
  });

  it('podman: security_opt unmask still applies on top of podman\'s lists', async () => {
    const { spec } = await runServiceYaml({ security_opt: ['unmask=/proc/interrupts'] }, { presets: [podmanPreset()] });
    expect(spec.linux!.maskedPaths).not.toContain('/proc/interrupts');
    expect(spec.linux!.maskedPaths).toContain('/sys/fs/selinux');
  });

  it('containerd: RLIMIT_NOFILE 1024/1024, a /run tmpfs and its device rules', async () => {
    const { spec } = await runServiceYaml({}, { presets: [containerdPreset()] });
    expect(spec.process!.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
    expect(spec.mounts!.find((m) => m.destination === '/run')).toEqual({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] });
    const rules = spec.linux!.resources!.devices!.map((r) => `${r.allow ? 'allow' : 'deny'} ${r.type ?? 'a'} ${r.major ?? '*'}:${r.minor ?? '*'}`);
    expect(rules).toEqual(['deny a *:*', 'allow c 1:3', 'allow c 1:8', 'allow c 1:7', 'allow c 5:0', 'allow c 1:5', 'allow c 1:9', 'allow c 5:1', 'allow c 136:*', 'allow c 5:2']);
  });

  it('containerd: the service still decides (no-new-privileges:false, ulimits nofile, a /run volume)', async () => {
    const { spec } = await runServiceYaml({
      security_opt: ['no-new-privileges:false'],
      ulimits: { nofile: { soft: 4096, hard: 8192 } },
      tmpfs: ['/run:size=1m'],
    }, { presets: [containerdPreset()] });
    expect(spec.process!.noNewPrivileges).toBe(false);
    expect(spec.process!.rlimits!.filter((r) => r.type === 'RLIMIT_NOFILE')).toEqual([{ type: 'RLIMIT_NOFILE', hard: 8192, soft: 4096 }]);
    const run = spec.mounts!.filter((m) => m.destination === '/run');
    expect(run).toHaveLength(1);
    expect(run[0]!.options).toContain('size=1048576');
  });

  it('containerd: privileged still allows every device', async () => {
    const { spec } = await runServiceYaml({ privileged: true }, { presets: [containerdPreset()] });
    expect(spec.linux!.resources!.devices).toEqual([{ allow: true, access: 'rwm' }]);
  });
});

describe('rootless preset', () => {
  it('gives the same spec as the default preset run for an unprivileged user, whatever the environment says', async () => {
    const service = { user: '0', volumes: [{ type: 'volume', target: '/data' }], mem_limit: '64m' };
    const viaPreset = await runServiceYaml(service, { presets: [rootlessPreset({ uid: 1000, gid: 1000 })], env: { rootless: false, uid: 0, gid: 0 } });
    const viaEnv = await runServiceYaml(service, { env: { rootless: true, uid: 1000, gid: 1000 } });
    expect(viaPreset.spec).toEqual(viaEnv.spec);
    expect(viaPreset.spec.linux!.namespaces!.some((n) => n.type === 'user')).toBe(true);
    const asRoot = await runServiceYaml(service, { env: { rootless: false } });
    expect(asRoot.spec).not.toEqual(viaPreset.spec);
  });

  it('wraps another base preset, and its plugins see env.rootless', async () => {
    const seen: unknown[] = [];
    const probe: Plugin = { name: 'acme:probe', stage: 'process', apply: ({ env }) => (seen.push(env.rootless), []) };
    const base = { name: 'acme:base', presets: [defaultPreset()], plugins: [probe] };
    const { trace } = await runServiceYaml({}, { presets: [rootlessPreset({ base })], env: { rootless: false, uid: 1000, gid: 1000 } });
    expect(seen).toEqual([true]);
    expect(trace.every((t) => t.presetChain.join('>') === 'api>ctnr:preset-rootless')).toBe(true);
  });

  it('refuses bad options, naming the preset', async () => {
    expect(() => rootlessPreset({ uid: -1 })).toThrow(/options.uid/);
  });
});
