import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { config as zodConfig } from 'zod';
import { CtnrError, formatError, type Env, type Spec } from './lib.js';
import { runtimeApi } from './api.js';
import { createsContainer, parseRuntimeArgs } from './args.js';
import { runtimeConfigOf } from './config.js';
import { containerInfo, engineManagedDirs } from './container.js';
import { judgeSpec, prepareCreate } from './create.js';
import { rememberRuntime } from './handover-cache.js';
import { findRuntimeConfig } from './locate.js';
import { report } from './log.js';
import { writeAtomicAll } from './write.js';

/**
 * Run `create`'s pipeline in memory while the startup snapshot is built (./snapshot.ts): the snapshot then holds
 * what a first run makes — the config schemas (zod builds them on first use, and each schema its parser on first
 * parse) and the compiled code of every function on the path — instead of each `create` making them again.
 * The configs, the specs and the environment are made up; the file part runs in a temporary directory it removes
 * (and never on the process's own environment: no handover cache of this machine is written). Nothing they lead
 * to is kept but code and schemas.
 */
export async function warmUp(): Promise<void> {
  await warmPipeline();
  await warmFiles();
}

/** judgeSpec over a few configs (by name, by value, with an org plugin and exemptions) and specs (plain, privileged). */
async function warmPipeline(): Promise<void> {
  zodConfig({ jitless: true }); // as prepareCreate: the warm parsers must be the ones a create uses
  const { op, restrictedPreset } = runtimeApi;
  const configs: unknown[] = [
    { presets: ['baseline'], runtime: 'runc' },
    { presets: ['restricted'], disable: [], stages: [] },
    {
      presets: [restrictedPreset({ fix: true, exemptions: [{ namespace: 'warm', control: 'privileged', reason: 'warm-up' }] })],
      plugins: [{ name: 'warm:env', stage: 'process', anySpec: true, apply: ({ spec }: { spec: Spec }) => [op.env('WARM', '1', spec)] }],
      policy: { exemptions: [{ annotations: { 'io.container.manager': 'libpod' }, control: 'runAsNonRoot', reason: 'warm-up' }] },
      runtime: '/usr/bin/runc',
    },
  ];
  for (const [i, raw] of configs.entries()) {
    const rc = runtimeConfigOf(`/warm/runtime.config.${i}.json`, raw);
    for (const privileged of [false, true]) {
      const spec = warmSpec(privileged);
      const container = containerInfo('0'.repeat(64), '/warm/bundle', spec);
      const env: Env = {
        rootless: false, dataDir: '/warm/bundle', uid: 0, gid: 0, arch: 'amd64', rootfs: '/warm/bundle/rootfs',
        hostCapabilities: CAPS, container, engineManagedDirs: engineManagedDirs(container, spec, '/warm/run/pid'),
      };
      const judged = await judgeSpec(rc, spec, container, env);
      JSON.stringify(judged.trace({ config: rc.file, runtime: '/usr/bin/runc', spec: '/warm/bundle/config.json' }), null, 2);
      JSON.stringify(judged.spec, null, 2);
    }
  }
}

/** The file side of create and what main does around it: read the config and the bundle, write the spec, the trace, the log. */
async function warmFiles(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-runtime-warm-'));
  try {
    const bundle = path.join(dir, 'bundle');
    mkdirSync(bundle);
    const configFile = path.join(dir, 'runtime.config.json');
    writeFileSync(configFile, JSON.stringify({
      // The plain spec's /srv/data bind is exempted (a trace is written), the privileged one is refused (a log is written).
      presets: ['baseline'],
      policy: { exemptions: [{ annotations: { 'io.container.manager': 'libpod' }, control: 'hostPathVolumes', reason: 'warm-up' }] },
      runtime: process.execPath,
    }));
    const env = { PATH: '', XDG_RUNTIME_DIR: dir, CTNR_RUNTIME_CONFIG: configFile };
    const log = path.join(dir, 'log.json');
    for (const privileged of [false, true]) {
      writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(warmSpec(privileged), null, 2) + '\n');
      const argv = ['--log', log, '--log-format', 'json', 'create', '--bundle', bundle, '--pid-file', path.join(dir, 'pid'), '0'.repeat(64)];
      const args = parseRuntimeArgs(argv);
      const found = createsContainer(args) ? findRuntimeConfig(env, 0) : undefined;
      const outcome = await prepareCreate({ args, configFile: found ?? configFile, self: [path.join(dir, 'self')], env, log: { log, logFormat: 'json', stderr: () => {} } });
      if (outcome.runtime) rememberRuntime(configFile, outcome.runtime, env);
    }
    // A changed spec and its trace (a JSON config cannot carry the fix plugins that change one).
    const spec = path.join(bundle, 'config.json');
    const st = statSync(spec);
    const like = { mode: st.mode, uid: st.uid, gid: st.gid };
    await writeAtomicAll([{ file: spec, content: JSON.stringify(warmSpec(false)), like }, { file: path.join(bundle, 'ctnr-trace.json'), content: '{}\n', like }]);
    // The first steps of loading an .mjs config, node's own code and pure (nothing is required: that would cache
    // what this machine's file system says): the module object the config is required from, and its file URL.
    const mjs = path.join(dir, 'runtime.config.mjs');
    createRequire(mjs);
    fileURLToPath(pathToFileURL(mjs).href);
    report({ stderr: () => {} }, 'error', formatError(new CtnrError('CONFIG_INVALID', 'warm-up', { location: { file: configFile } })).split('\n'), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CAPS = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_MKNOD', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

/** A spec as podman writes it for a plain container, or for `--privileged` (every control has something to judge). */
function warmSpec(privileged: boolean): Spec {
  const caps = privileged ? [...CAPS, 'CAP_SYS_ADMIN'] : CAPS;
  return {
    ociVersion: '1.0.2-dev',
    process: {
      user: { uid: 0, gid: 0, umask: 18 },
      args: ['sh'],
      env: ['PATH=/bin', 'HOSTNAME=warm'],
      cwd: '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }],
      noNewPrivileges: !privileged,
      oomScoreAdj: 0,
    },
    root: { path: '/warm/bundle/rootfs' },
    hostname: 'warm',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
      { destination: '/etc/hosts', type: 'bind', source: `/warm/containers/${'0'.repeat(64)}/userdata/hosts`, options: ['bind', 'rprivate'] },
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] },
    ],
    annotations: { 'io.container.manager': 'libpod', 'io.kubernetes.cri.sandbox-namespace': 'warm' },
    linux: {
      sysctl: { 'net.ipv4.ping_group_range': '0 0', ...(privileged ? { 'kernel.msgmax': '1' } : {}) },
      resources: { devices: [{ allow: privileged, access: 'rwm' }], pids: { limit: 2048 } },
      cgroupsPath: 'machine.slice:libpod:warm',
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      ...(privileged ? {} : {
        seccomp: { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] },
        maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block'],
        readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      }),
    },
  } as Spec;
}
