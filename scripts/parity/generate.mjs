#!/usr/bin/env node
// Generate the parity fixtures: the config.json podman and dockerd themselves write for each service of
// test/fixtures/parity/compose.yaml. Run through scripts/parity-gen.sh (root; it installs the engines and holds
// the e2e lock). Everything runs in a temporary directory of its own: podman with its own --root/--runroot/
// --tmpdir/--network-config-dir, dockerd with its own --data-root/--exec-root/--pidfile/socket, no iptables,
// bridges named ctnrpar-*; all of it is removed at the end, also on failure.
//
//   node scripts/parity/generate.mjs [--engine podman|docker] [case ...]
//
// Output: test/fixtures/parity/<engine>/<case>.json (the engine's config.json with the run's ids and temporary
// paths replaced by placeholders, see scrub()), and test/fixtures/parity/versions.json. Needs the repository's
// node_modules (`npm ci`: the yaml parser). Podman fills the environment and some mounts from Go maps, so their order
// changes from one generation to the next; the comparison does not depend on it (compare.ts keys them).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { translate } from './translate.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = path.join(REPO, 'test/fixtures/parity');
const IMAGE = 'parity:1';
const NAME_PREFIX = 'ctnr-parity-';

const argv = process.argv.slice(2);
const engineArg = argv.includes('--engine') ? argv[argv.indexOf('--engine') + 1] : undefined;
const onlyCases = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--engine');
const engines = engineArg ? [engineArg] : ['podman', 'docker'];

const compose = parse(readFileSync(path.join(FIXTURES, 'compose.yaml'), 'utf8'), { merge: true });
const project = compose.name;
const cases = Object.keys(compose.services).filter((c) => onlyCases.length === 0 || onlyCases.includes(c));
/** `x-parity.skip.<engine>`: the engine has no way to say what the service says (the reason is in the corpus). */
const skipped = (engine, name) => compose.services[name]['x-parity']?.skip?.[engine] !== undefined;

// Every engine command has a time limit: a stuck daemon must fail the run (and its cleanup must still run), not hang it.
const TIMEOUT = 120_000;
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: TIMEOUT, ...opts }).trim();
const tryRun = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', timeout: TIMEOUT, ...opts });
const log = (msg) => process.stderr.write(`parity-gen: ${msg}\n`);

const WORK = mkdtempSync('/tmp/ctnr-parity-gen-');
// Ctrl-C or a kill: stop after the current engine command and clean up (a sync call cannot be interrupted).
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { interrupted = true; });
const checkInterrupted = () => { if (interrupted) throw new Error('interrupted'); };
const cleanups = [];
async function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      log(`cleanup: ${err.message}`);
    }
  }
  // Mounts an engine left under WORK (podman's per-container /dev/shm, volume mounts), deepest first.
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(WORK));
  for (const m of mounts.sort().reverse()) tryRun('umount', ['-l', m]);
  rmSync(WORK, { recursive: true, force: true });
}

/** The tiny image: busybox-static with a few applets and the corpus's /etc/passwd and /etc/group. */
function buildImageTar() {
  const rootfs = path.join(WORK, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'root', 'home/app']) mkdirSync(path.join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'sleep', 'true', 'id', 'cat']) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  for (const f of ['passwd', 'group']) copyFileSync(path.join(FIXTURES, 'rootfs/etc', f), path.join(rootfs, 'etc', f));
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  const tar = path.join(WORK, 'rootfs.tar');
  run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', rootfs, '-cf', tar, '.']);
  return tar;
}


/**
 * Replace what changes from run to run with placeholders: the container id (and its 12-character prefix),
 * this run's temporary directory, dockerd's pid, network ids, podman's creation time. Nothing else is touched:
 * the test does the structural normalising.
 */
function scrub(text, replacements) {
  let out = text;
  for (const [from, to] of replacements) out = out.split(from).join(to);
  return out;
}

/** JSON with two-space indents, lists of plain values on one line (the seccomp name lists would be 10,000 lines). */
function format(value, indent = '') {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    if (value.length === 0) return '[]';
    const inner = `${indent}  `;
    return `[\n${value.map((v) => `${inner}${format(v, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return '{}';
    const inner = `${indent}  `;
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${format(value[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function writeFixture(engine, name, config, replacements) {
  const dir = path.join(FIXTURES, engine);
  mkdirSync(dir, { recursive: true });
  let text = scrub(format(config), replacements);
  text = text
    .replace(/"io\.kubernetes\.cri-o\.Created": "[^"]*"/, '"io.kubernetes.cri-o.Created": "<created>"')
    .replace(/\/run\/netns\/[a-z]+-[0-9a-f-]{36}/g, '/run/netns/<netns>')
    .replace(/\/vfs\/dir\/[0-9a-f]{64}/g, '/vfs/dir/<layer>')
    .replace(/\/volumes\/[0-9a-f]{64}\//g, '/volumes/<anonymous-volume>/')
    // The generating host's name (network_mode/uts host): a fact of that machine, not of the engine.
    .split(`"hostname": ${JSON.stringify(os.hostname())}`).join('"hostname": "<host-hostname>"')
    .split(`"HOSTNAME=${os.hostname()}"`).join('"HOSTNAME=<host-hostname>"');
  writeFileSync(path.join(dir, `${name}.json`), `${text}\n`);
}

// ---------------------------------------------------------------------------------------------------- podman

async function generatePodman(tar) {
  const root = path.join(WORK, 'podman');
  const netDir = path.join(root, 'net');
  mkdirSync(netDir, { recursive: true });
  const global = [
    '--root', path.join(root, 'root'), '--runroot', path.join(root, 'run'), '--tmpdir', path.join(root, 'tmp'),
    '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--storage-driver', 'vfs',
    '--network-config-dir', netDir,
  ];
  // The package's containers.conf only: no host or user overrides in the fixtures.
  const env = { ...process.env, CONTAINERS_CONF: '/usr/share/containers/containers.conf' };
  const podman = (args, opts = {}) => run('podman', [...global, ...args], { env, ...opts });
  const tryPodman = (args) => tryRun('podman', [...global, ...args], { env });
  cleanups.push(() => {
    tryPodman(['rm', '-af', '-t', '0']);
    tryPodman(['volume', 'rm', '-af']);
    tryPodman(['rmi', '-af']);
  });
  // The project network, a bridge of its own on a private subnet (CNI, as podman 4 on Debian uses).
  writeFileSync(path.join(netDir, `${project}_default.conflist`), JSON.stringify({
    cniVersion: '0.4.0',
    name: `${project}_default`,
    plugins: [
      { type: 'bridge', bridge: 'ctnrpar-p0', isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: { type: 'host-local', routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: '10.213.2.0/24', gateway: '10.213.2.1' }]] } },
    ],
  }, null, 2));
  cleanups.push(() => tryRun('ip', ['link', 'del', 'ctnrpar-p0']));
  podman(['import', tar, `localhost/${IMAGE}`]);
  for (const name of cases.filter((c) => !skipped('podman', c))) {
    checkInterrupted();
    const { flags, args } = translate(name, compose.services[name], { engine: 'podman', project, image: IMAGE, top: compose, dir: FIXTURES });
    const id = podman(['create', '--name', `${NAME_PREFIX}${name}`, ...flags, `localhost/${IMAGE}`, ...args]).split('\n').pop();
    // init writes config.json, then asks the runtime to create the container (which may fail on this host: podman's
    // RLIMIT_NOFILE is above the hard limit; crun refuses the hybrid cgroup layout). The file is written first.
    const init = tryPodman(['init', id]);
    const file = path.join(root, 'root/vfs-containers', id, 'userdata/config.json');
    if (!existsSync(file)) throw new Error(`podman ${name}: no config.json (init: ${init.stderr})`);
    const config = JSON.parse(readFileSync(file, 'utf8'));
    writeFixture('podman', name, config, [[id, '<container-id>'], [id.slice(0, 12), '<short-id>'], [WORK, '<work>'], [FIXTURES, '<corpus>']]);
    log(`podman ${name}${init.status === 0 ? '' : ` (runtime refused it: ${init.stderr.trim().split('\n').pop()})`}`);
    tryPodman(['rm', '-f', '-t', '0', id]);
  }
}

// ---------------------------------------------------------------------------------------------------- docker

async function generateDocker(tar) {
  const root = path.join(WORK, 'd');
  const captured = path.join(root, 'captured');
  mkdirSync(captured, { recursive: true });
  // dockerd's runtime for the run: it saves the bundle's config.json (what containerd hands to runc) and refuses
  // to create the container, so nothing runs and nothing depends on whether this host could run it (privileged
  // asks for capabilities this VM's bounding set lacks). Other commands (delete, state) go to runc.
  const runtime = path.join(root, 'capture-runc');
  writeFileSync(runtime, `#!/bin/sh
# parity-gen: on "create", save config.json and fail; anything else goes to runc.
bundle=""; cmd=""; prev=""; last=""
for a in "$@"; do
  case "$prev" in --bundle|-b) bundle="$a";; esac
  case "$a" in create) cmd=create;; esac
  prev="$a"; last="$a"
done
if [ "$cmd" = create ] && [ -n "$bundle" ]; then
  cp "$bundle/config.json" "${captured}/$last.json"
  echo "parity-gen: config.json captured, container not created" >&2
  exit 1
fi
exec runc "$@"
`, { mode: 0o755 });
  const daemonJson = path.join(root, 'daemon.json');
  writeFileSync(daemonJson, '{}\n');
  const sock = path.join(root, 'sock');
  const pidfile = path.join(root, 'pid');
  // dockerd's output goes to a file, not a pipe: this script waits in synchronous calls, and a pipe nobody reads
  // fills up and stops dockerd (and the containerd it runs) at its next log line.
  const logFile = '/tmp/ctnr-parity-gen-dockerd.log'; // kept after the run, for when dockerd misbehaves
  const logFd = openSync(logFile, 'w');
  const dockerd = spawn('dockerd', [
    '--config-file', daemonJson, '--data-root', path.join(root, 'data'), '--exec-root', path.join(root, 'exec'),
    '--pidfile', pidfile, '-H', `unix://${sock}`, '--bridge=none', '--iptables=false', '--ip6tables=false',
    '--ip-masq=false', '--userland-proxy=false', '--storage-driver', 'vfs',
    '--add-runtime', `parity=${runtime}`, '--default-runtime', 'parity',
  ], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const daemonLog = () => readFileSync(logFile, 'utf8').slice(-2000);
  cleanups.push(async () => {
    if (dockerd.exitCode === null) {
      dockerd.kill('SIGTERM');
      await new Promise((resolve) => { dockerd.once('exit', resolve); setTimeout(resolve, 20_000); });
    }
  });
  const docker = (args) => run('docker', ['-H', `unix://${sock}`, ...args]);
  const tryDocker = (args) => tryRun('docker', ['-H', `unix://${sock}`, ...args]);
  for (let i = 0; ; i++) {
    if (tryDocker(['version']).status === 0) break;
    if (i > 60 || dockerd.exitCode !== null) throw new Error(`dockerd did not start:\n${daemonLog()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  cleanups.push(() => {
    const ids = tryDocker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length) tryDocker(['rm', '-f', ...ids]);
    tryDocker(['network', 'rm', `${project}_default`]);
    tryRun('ip', ['link', 'del', 'ctnrpar-d0']);
  });
  docker(['network', 'create', '--driver', 'bridge', '--subnet', '10.213.1.0/24', '-o', 'com.docker.network.bridge.name=ctnrpar-d0', `${project}_default`]);
  docker(['import', tar, IMAGE]);
  const dockerdPid = readFileSync(pidfile, 'utf8').trim();
  const networkId = docker(['network', 'inspect', '-f', '{{.Id}}', `${project}_default`]);
  for (const name of cases.filter((c) => !skipped('docker', c))) {
    checkInterrupted();
    const { flags, args } = translate(name, compose.services[name], { engine: 'docker', project, image: IMAGE, top: compose, dir: FIXTURES });
    const id = docker(['create', '--name', `${NAME_PREFIX}${name}`, ...flags, IMAGE, ...args]).split('\n').pop();
    const start = tryDocker(['start', id]);
    const file = path.join(captured, `${id}.json`);
    if (!existsSync(file)) throw new Error(`docker ${name}: no config.json captured (start: ${start.stderr})`);
    const config = JSON.parse(readFileSync(file, 'utf8'));
    // libnetwork-setkey's last argument: the sandbox's controller id (12 characters), which changes per run.
    const setkey = config.hooks?.prestart?.find((h) => h.args?.[0] === 'libnetwork-setkey');
    const controller = setkey?.args?.at(-1);
    writeFixture('docker', name, config, [
      [id, '<container-id>'], [id.slice(0, 12), '<short-id>'], [networkId, '<network-id>'], [WORK, '<work>'], [FIXTURES, '<corpus>'],
      [`/proc/${dockerdPid}/exe`, '/proc/<dockerd-pid>/exe'], ...(controller ? [[controller, '<controller-id>']] : []),
    ]);
    log(`docker ${name}`);
    tryDocker(['rm', '-f', id]);
  }
}

// ---------------------------------------------------------------------------------------------------- versions

function debVersion(pkg) {
  const r = tryRun('dpkg-query', ['-W', '-f=${Version}', pkg]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function limits(name) {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
  const [soft, hard] = line.slice(26).trim().split(/\s+/);
  const num = (v) => (v === 'unlimited' ? 'unlimited' : Number(v));
  return { soft: num(soft), hard: num(hard) };
}

/** Capability names by kernel bit number (linux/capability.h, up to CAP_CHECKPOINT_RESTORE = 40). */
const CAPS = ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE',
  'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME',
  'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG',
  'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE'].map((c) => `CAP_${c}`);

/** The generating process's bounding set (what the engines could hand on). */
function capabilities() {
  const mask = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]}`);
  return CAPS.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

function writeVersions() {
  const file = path.join(FIXTURES, 'versions.json');
  const previous = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const versions = {
    about: 'What the fixtures in podman/ and docker/ were generated with (scripts/parity-gen.sh), and facts of the generating host: test/unit/presets/parity.test.ts gives the presets its kernel, arch, pid_max, rlimits and bounding set, and compares the engines\' values as that host applies them.',
    engines: {
      ...previous.engines,
      ...(engines.includes('podman') ? {
        podman: run('podman', ['version', '--format', '{{.Client.Version}}']),
        'podman (Debian)': debVersion('podman'),
        'containers-common (Debian golang-github-containers-common)': debVersion('golang-github-containers-common'),
        crun: debVersion('crun'),
        catatonit: debVersion('catatonit'),
      } : {}),
      ...(engines.includes('docker') ? {
        docker: run('dockerd', ['--version']).replace(/^Docker version ([^,]+),.*/, '$1'),
        'docker.io (Debian)': debVersion('docker.io'),
        containerd: debVersion('containerd'),
        runc: debVersion('runc'),
        'tini (docker-init)': debVersion('tini'),
      } : {}),
    },
    host: {
      debian: readFileSync('/etc/debian_version', 'utf8').trim(),
      kernel: os.release(),
      arch: run('dpkg', ['--print-architecture']),
      cgroup: existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1',
      pidMax: Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()),
      rlimits: { RLIMIT_NOFILE: limits('Max open files'), RLIMIT_NPROC: limits('Max processes') },
      capabilities: capabilities(),
    },
  };
  writeFileSync(file, `${JSON.stringify(versions, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------------- main

let failed = false;
try {
  if (process.getuid() !== 0) throw new Error('run as root (scripts/parity-gen.sh)');
  const tar = buildImageTar();
  for (const engine of engines) {
    if (onlyCases.length === 0) rmSync(path.join(FIXTURES, engine), { recursive: true, force: true });
    if (engine === 'podman') await generatePodman(tar);
    else if (engine === 'docker') await generateDocker(tar);
    else throw new Error(`unknown engine ${engine}`);
  }
  writeVersions();
  log(`wrote ${cases.length} case(s) for ${engines.join(', ')} to ${path.relative(REPO, FIXTURES)}`);
} catch (err) {
  failed = true;
  log(`failed: ${err.stack ?? err}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
