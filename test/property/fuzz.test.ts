import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCompose } from '../../src/compose/load.js';
import { KEY_POLICY, SERVICE_KEYS } from '../../src/compose/keys.js';
import { loadConfig } from '../../src/config/load.js';
import { createEnv } from '../../src/linux/env.js';
import { formatError, isCtnrError } from '../../src/engine/errors.js';
import { engineFromConfig, runService, type LoadedProject } from '../../src/project.js';
import { GROUP, PASSWD } from '../helpers/rootfs.js';
import { expectValidSpec } from '../helpers/schema.js';

/**
 * Hostile compose files, in process, through the loader and the engine the CLI uses (openProject's config →
 * engineFromConfig, parseCompose, runService): every service key gets valid values and hostile ones (names that
 * are prototype keys, path tricks, device files and FIFOs, control characters, huge and deeply nested values,
 * prototype keys in maps). Each service ends in a schema-valid spec or a CtnrError with a code and a location or
 * key path — never another exception, never more than CASE_MS for one file, and the heap does not keep growing.
 * No registry is asked: env.rootfs is set, as --rootfs does (hasLocalImageSource).
 */

// The same cases on every run (CI must not flake); FC_SEED=<n> explores others.
const SEED = Number(process.env.FC_SEED ?? 20261201);
const RUNS = Number(process.env.FC_RUNS ?? 4000);
/**
 * Bound for one compose file (all its services), measured around the work, not a vitest timeout: in CPU time
 * of this process, which other processes cannot inflate (unit files run in parallel, CI machines are shared);
 * wall time may take WALL_FACTOR times as long (a case that waits instead of working).
 */
const CASE_MS = 2000;
const WALL_FACTOR = 10;
/** Bound for the heap after a GC, over the first measurement (caches fill early, then it must stay flat). */
const HEAP_GROWTH = 96 * 1024 * 1024;

// ------------------------------------------------------------------------------------ hostile atoms

const CONTROLS = ['\u0000', '\u001b[2J', '\u001b]0;pwned\u0007', '\r', '\n', '\t', '\u009b31m', '\u202e', '\u007f', '\u2028'];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];

const control = fc.constantFrom(...CONTROLS);
const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);

/** Names in every place a name goes: service, project, network, volume, secret, alias, container_name, keys. */
const hostileName = fc.oneof(
  fc.constantFrom(...PROTO_KEYS, '..', '.', '/', '', ' ', '-rf', 'x/../../../../tmp/victim', '../../etc', 'a b', '$(id)', '`id`', '*', 'ÄÖ', 'a:b', 'a=b', 'C:\\x'),
  fc.tuple(word, control).map(([w, c]) => w + c),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.integer({ min: 64, max: 4096 }).map((n) => 'n'.repeat(n)),
);

/** Paths a compose file can name: outside the project, into /proc and /dev, device files, FIFOs, `..` chains. */
const pathTrick = fc.constantFrom(
  '../../../../../../etc/shadow', '/etc/shadow', '/etc/passwd', '/proc/self/root', '/proc/self/environ', '/proc/1/mem', '/proc', '/proc/sys',
  '/sys/fs/cgroup', '/', '//', '/./../..', '~/../../root', '$HOME/x', '${HOME}/../..', '/dev/null', '/dev/zero', '/dev/urandom', '/dev/full',
  '/dev/stdin', '/dev/tty', './fifo', 'fifo', './dir', './missing', './app.env', './secret.txt', './link-to-zero', './link-to-etc',
  '/run/secrets/../../etc', 'a\u0000b', '.\n/x', '\\\\?\\C:\\x', 'nul', '${UNSET:-/etc/shadow}', '$$HOME',
);

/** Interpolation a file cannot load with (the whole file is refused): rarer than the rest, or few files would load. */
const badInterpolation = fc.constantFrom('${X', '${X:?', '${X:?msg}', '$', '${}', '${A-${B-${C}}}', '${UNSET:?boom}', 'a$', '${1}');

const hostileString = fc.oneof(
  { weight: 4, arbitrary: hostileName },
  { weight: 4, arbitrary: pathTrick },
  { weight: 4, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), control, fc.string({ maxLength: 8 })).map(([a, c, b]) => a + c + b) },
  { weight: 4, arbitrary: fc.constantFrom('${A-${B-x}}', '$$', '%s%n', "'\"", '-1', '0x10', '1e309', 'NaN', 'true', 'null', '~', '0o777', '1_000', '.inf') },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }).map((g) => g.replace(/\$/g, '$$$$')) },
  { weight: 1, arbitrary: badInterpolation },
);

/** A value nested `depth` times in arrays or mappings. */
function nest(depth: number, inArray: boolean): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = inArray ? [v] : { k: v };
  return v;
}

/** A mapping (prototype-less, so `__proto__` is an own key JSON.stringify writes) with prototype keys. */
const protoMap = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO_KEYS), hostileName), fc.oneof(hostileString, fc.integer(), fc.constant(null))), { maxLength: 4 }).map((pairs) => {
  const o = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of pairs) o[k] = v;
  return o;
});

/** Large values; the largest (a scalar over the loader's 1 MiB bound, 2000 levels) are in YAML_TEXTS, once. */
const huge = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((n) => 'h'.repeat(n * 16_384)),
  fc.integer({ min: 100, max: 1000 }).map((n) => Array.from({ length: n }, (_, i) => `/v${i}`)),
  fc.integer({ min: 50, max: 300 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, `v${i}`]))),
);
const deep = fc.tuple(fc.integer({ min: 20, max: 400 }), fc.boolean()).map(([d, a]) => nest(d, a));
const oddNumber = fc.constantFrom(-1, 0, -0, 1.5, 1e308, -1e308, 2 ** 53 + 2, 2 ** 31, 2 ** 64, 0.1, 4294967296, -2147483649);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  { weight: 2, arbitrary: oddNumber },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
  { weight: 2, arbitrary: protoMap },
  { weight: 2, arbitrary: fc.array(hostileString, { maxLength: 4 }) },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: deep },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

// ------------------------------------------------------------------------------------ valid values per key

const absPath = fc.array(word, { minLength: 1, maxLength: 3 }).map((s) => `/${s.join('/')}`);
const port = fc.integer({ min: 1, max: 65535 });
const size = fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.constantFrom('', 'k', 'm', 'g', 'b', 'kb', 'MB')).map(([n, u]) => `${n}${u}`);
const duration = fc.tuple(fc.integer({ min: 0, max: 90 }), fc.constantFrom('s', 'ms', 'm', 'h', 'us')).map(([n, u]) => `${n}${u}`);
const ipv4 = fc.ipV4();
const caps = fc.subarray(['NET_ADMIN', 'SYS_PTRACE', 'CAP_SYS_TIME', 'ALL', 'MKNOD', 'NET_RAW', 'CHOWN']);
const envMap = fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/), fc.oneof(word, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 });
const labelMap = fc.dictionary(fc.stringMatching(/^[a-z]{1,4}(\.[a-z]{1,4})?$/), word, { maxKeys: 3 });
const listOrDict = fc.oneof(envMap, fc.array(fc.stringMatching(/^[A-Z]{1,4}=[a-z]{0,4}$/), { maxLength: 3 }));

const VALID: Record<string, fc.Arbitrary<unknown>> = {
  image: fc.constantFrom('busybox', 'alpine:3', 'registry.example:5000/app@sha256:' + 'a'.repeat(64)),
  command: fc.oneof(fc.array(word, { minLength: 1, maxLength: 3 }), word.map((w) => `${w} --flag "quoted arg"`)),
  entrypoint: fc.oneof(fc.array(word, { minLength: 1, maxLength: 2 }), word),
  environment: listOrDict,
  env_file: fc.oneof(fc.constant('./app.env'), fc.constant(['./app.env']), fc.constant([{ path: './missing.env', required: false }])),
  working_dir: absPath,
  user: fc.constantFrom('0', '1000', '1000:1000', 'app', 'app:audio', 'root', 0),
  group_add: fc.subarray(['audio', 'video', 44, '1000']),
  cap_add: caps,
  cap_drop: caps,
  privileged: fc.boolean(),
  tty: fc.boolean(),
  stdin_open: fc.boolean(),
  ulimits: fc.record({ nofile: fc.oneof(fc.integer({ min: 1, max: 65536 }), fc.integer({ min: 1, max: 1024 }).map((s) => ({ soft: s, hard: s * 2 }))), nproc: fc.integer({ min: 1, max: 4096 }) }, { requiredKeys: [] }),
  oom_score_adj: fc.integer({ min: -1000, max: 1000 }),
  security_opt: fc.subarray(['no-new-privileges:true', 'seccomp=unconfined', 'label=disable', 'apparmor=unconfined', 'seccomp=./seccomp.json', 'systempaths=unconfined']),
  init: fc.boolean(),
  read_only: fc.boolean(),
  stop_signal: fc.constantFrom('SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGRTMIN+3', '9'),
  stop_grace_period: duration,
  healthcheck: fc.record({ test: fc.oneof(word, fc.array(word, { minLength: 1, maxLength: 2 }).map((a) => ['CMD', ...a])), interval: duration, retries: fc.integer({ min: 0, max: 5 }) }),
  volumes: fc.array(
    fc.oneof(
      absPath,
      fc.tuple(fc.constantFrom('data', 'cache'), absPath, fc.constantFrom('', ':ro', ':rw', ':nocopy')).map(([s, t, o]) => `${s}:${t}${o}`),
      fc.tuple(fc.constantFrom('./dir', '/tmp', '~/x'), absPath, fc.constantFrom('', ':ro', ':z')).map(([s, t, o]) => `${s}:${t}${o}`),
      fc.record({ type: fc.constant('tmpfs'), target: absPath, tmpfs: fc.record({ size: size }) }),
    ),
    { maxLength: 3 },
  ),
  tmpfs: fc.oneof(absPath, fc.array(fc.tuple(absPath, size).map(([p, s]) => `${p}:size=${s}`), { maxLength: 2 })),
  shm_size: size,
  devices: fc.constantFrom(['/dev/null:/dev/xnull'], ['/dev/zero:/dev/zero:rw'], ['/dev/fuse']),
  device_cgroup_rules: fc.constantFrom(['c 1:3 rwm'], ['b 8:* r'], ['a *:* rwm']),
  secrets: fc.constantFrom(['s1'], [{ source: 's1', target: 'db-pass', mode: 0o400 }], ['s2']),
  configs: fc.constantFrom(['c1'], [{ source: 'c1', target: '/etc/app.conf' }]),
  mem_limit: fc.oneof(fc.integer({ min: 6, max: 4096 }).map((n) => `${n}m`), fc.integer({ min: 1, max: 8 }).map((n) => `${n}g`)),
  mem_reservation: size,
  memswap_limit: fc.constantFrom('-1', '1g', 0),
  mem_swappiness: fc.integer({ min: 0, max: 100 }),
  cpus: fc.constantFrom(0.5, 1, '1.5', '0.01'),
  cpu_shares: fc.integer({ min: 2, max: 4096 }),
  cpu_quota: fc.integer({ min: 1000, max: 200000 }),
  cpu_period: fc.integer({ min: 1000, max: 1000000 }),
  cpu_rt_period: fc.integer({ min: 1000, max: 1000000 }),
  cpu_rt_runtime: fc.integer({ min: 0, max: 950000 }),
  cpuset: fc.constantFrom('0', '0-1', '0,1'),
  pids_limit: fc.integer({ min: -1, max: 4096 }),
  blkio_config: fc.record({ weight: fc.integer({ min: 10, max: 1000 }) }),
  deploy: fc.record({ resources: fc.record({ limits: fc.record({ cpus: fc.constantFrom('0.5', '1'), memory: fc.constantFrom('50M', '1G'), pids: fc.integer({ min: 1, max: 100 }) }, { requiredKeys: [] }) }) }),
  cgroup: fc.constantFrom('host', 'private'),
  cgroup_parent: fc.constantFrom('ctnr', 'system.slice/app', '/abs'),
  network_mode: fc.constantFrom('none', 'host', 'bridge', 'service:other', 'container:abc'),
  networks: fc.oneof(fc.constant(['front']), fc.record({ front: fc.record({ aliases: fc.array(word, { maxLength: 2 }), ipv4_address: ipv4 }, { requiredKeys: [] }) })),
  ipc: fc.constantFrom('host', 'shareable', 'private', 'none'),
  pid: fc.constantFrom('host', 'private'),
  uts: fc.constantFrom('host'),
  userns_mode: fc.constantFrom('host', 'keep-id'),
  hostname: fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/),
  domainname: fc.constantFrom('example.com', 'local'),
  ports: fc.array(fc.oneof(port.map(String), fc.tuple(port, port).map(([h, c]) => `${h}:${c}`), fc.tuple(ipv4, port, port).map(([i, h, c]) => `${i}:${h}:${c}/udp`), fc.record({ target: port, published: port })), { maxLength: 3 }),
  expose: fc.array(fc.oneof(port, port.map((p) => `${p}/udp`)), { maxLength: 2 }),
  extra_hosts: fc.array(fc.tuple(word, ipv4).map(([h, ip]) => `${h}:${ip}`), { maxLength: 2 }),
  dns: fc.oneof(ipv4, fc.array(ipv4, { maxLength: 2 })),
  dns_search: fc.constantFrom('example.com', ['a.example', 'b.example']),
  dns_opt: fc.constantFrom(['ndots:2'], ['use-vc']),
  sysctls: fc.constantFrom({ 'net.core.somaxconn': 1024 }, ['net.ipv4.ip_forward=1'], { 'kernel.shmmax': '1' }),
  labels: fc.oneof(labelMap, fc.array(fc.stringMatching(/^[a-z]{1,4}=[a-z]{0,3}$/), { maxLength: 2 })),
  label_file: fc.constant('./labels.txt'),
  annotations: labelMap,
  extends: fc.constantFrom({ service: 'base' }, 'base', { file: './base.yaml', service: 'b' }),
  profiles: fc.constantFrom(['debug'], []),
  container_name: word,
  restart: fc.constantFrom('no', 'always', 'on-failure:3', 'unless-stopped'),
  depends_on: fc.constantFrom(['base'], { base: { condition: 'service_started' } }),
  platform: fc.constantFrom('linux/amd64', 'linux/arm64/v8'),
  pull_policy: fc.constantFrom('never', 'missing'),
  logging: fc.constant({ driver: 'json-file' }),
  build: fc.constantFrom('.', { context: '.' }),
};

/** One value for `key`: mostly a plausible one, often a hostile one. */
function valueFor(key: string): fc.Arbitrary<unknown> {
  const valid = VALID[key];
  return valid ? fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: hostileValue }) : hostileValue;
}

// Every compose key; the ones ctnr refuses (KEY_UNSUPPORTED for the whole service) less often, so most services
// get as far as the engine.
const REFUSED = new Set(KEY_POLICY.filter((p) => p.class === 'refused').map((p) => p.key));
const KEYS = SERVICE_KEYS.filter((k) => !REFUSED.has(k));
const serviceArb: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 7 }).chain((keys) => fc.tuple(...keys.map((k) => valueFor(k).map((v) => [k, v] as const)))),
    // Keys that are no compose key (hostile names, prototype keys, x- extensions), or a refused one.
    fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.oneof(hostileName, word.map((w) => `x-${w}`), fc.constantFrom(...REFUSED)), hostileValue) }),
    fc.boolean(),
  )
  .map(([known, extra, withImage]) => {
    const s = Object.create(null) as Record<string, unknown>;
    // Something to run (there is no image config to give a Cmd); a generated command or entrypoint replaces it.
    s.command = ['true'];
    if (withImage) s.image = 'busybox';
    for (const [k, v] of extra ? [...known, extra] : known) s[k] = v;
    return s;
  });

const serviceName = fc.oneof({ weight: 40, arbitrary: fc.constantFrom('web', 'db', 'app', 'a.b-c_d', 'W3', 'cache', 'api', 'worker') }, { weight: 1, arbitrary: hostileName });

const TOP = {
  volumes: { data: {}, cache: {} },
  networks: { front: {} },
  secrets: { s1: { file: './secret.txt' }, s2: { environment: 'SECRET_VAR' } },
  configs: { c1: { file: './config.txt' } },
};

const composeArb = fc
  .record({
    name: fc.oneof({ weight: 30, arbitrary: fc.constant('fz') }, { weight: 1, arbitrary: hostileName }),
    services: fc.uniqueArray(fc.tuple(serviceName, serviceArb), { minLength: 2, maxLength: 5, selector: ([n]) => n }),
    top: fc.oneof({ weight: 20, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom('volumes', 'networks', 'secrets', 'configs', 'include', 'x-a', 'models', ...PROTO_KEYS), hostileValue) }),
  })
  .map(({ name, services, top }) => {
    const doc = Object.create(null) as Record<string, unknown>;
    doc.name = name;
    const svc = Object.create(null) as Record<string, unknown>;
    svc.base = { image: 'busybox', command: ['true'] };
    for (const [n, s] of services) svc[n] = s;
    doc.services = svc;
    Object.assign(doc, TOP);
    if (top) doc[top[0]] = top[1];
    return doc;
  });

/** Hand-written YAML the JSON form cannot say: tags, anchors, merge keys, alias bombs, bad indentation. */
const YAML_TEXTS = [
  'services:\n  web: &a {image: busybox, <<: *a}\n',
  'services:\n  web:\n    image: !!binary aGVsbG8=\n',
  'services:\n  web:\n    image: !override busybox\n    command: !reset []\n',
  'x: &a [&b [&c [x, x], *c], *b]\nservices: {web: {image: busybox, labels: {a: *a}}}\n',
  `a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 12 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`).join('\n')}\nservices: {web: {image: busybox}}\n`,
  'services:\n  web:\n   image: busybox\n  command: x\n',
  'services:\n  web:\n    image: busybox\n    image: alpine\n',
  'services: {web: {image: busybox, environment: {__proto__: {polluted: 1}, constructor: x}}}\n',
  '%YAML 1.1\n---\nservices: {web: {image: busybox, user: 0o777}}\n',
  '--- |\n  text\n',
  '\u0000\u0001',
  '['.repeat(2000),
  `services:\n  web:\n    image: busybox\n    labels: ${'{k: '.repeat(2000)}x${'}'.repeat(2000)}\n`,
  `services:\n  web:\n    image: busybox\n    command: ${'x'.repeat((1 << 20) + 1)}\n`,
  'services:\n  web:\n    image: busybox\n    labels:\n' + Array.from({ length: 2000 }, (_, i) => `      l${i}: v`).join('\n') + '\n',
];

// ------------------------------------------------------------------------------------ the harness

/** Starts a stopwatch: the CPU time of this process (user + system, ms) and the wall time since. */
function stopwatch(): () => { cpu: number; wall: number } {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  return () => {
    const used = process.cpuUsage(cpu0);
    return { cpu: (used.user + used.system) / 1000, wall: performance.now() - wall0 };
  };
}

let dir: string;
let base: Omit<LoadedProject, 'compose'>;
let gc: () => void;
const environment = { HOME: '/home/u', SECRET_VAR: 's3cr3t', A: '1' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-fuzz-'));
  const rootfs = path.join(dir, 'rootfs');
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc/passwd'), PASSWD);
  writeFileSync(path.join(rootfs, 'etc/group'), GROUP);
  mkdirSync(path.join(dir, 'dir'));
  writeFileSync(path.join(dir, 'app.env'), 'A=1\nB=two\n');
  writeFileSync(path.join(dir, 'labels.txt'), 'k=v\n');
  writeFileSync(path.join(dir, 'secret.txt'), 'hunter2\n');
  writeFileSync(path.join(dir, 'config.txt'), 'conf\n');
  writeFileSync(path.join(dir, 'seccomp.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write', 'exit'], action: 'SCMP_ACT_ALLOW' }] }));
  writeFileSync(path.join(dir, 'base.yaml'), 'services:\n  b:\n    image: busybox\n    environment: [FROM_BASE=1]\n');
  spawnSync('mkfifo', [path.join(dir, 'fifo')]);
  spawnSync('ln', ['-s', '/dev/zero', path.join(dir, 'link-to-zero')]);
  spawnSync('ln', ['-s', '/etc', path.join(dir, 'link-to-etc')]);
  // The engine the CLI builds: the config found from the project directory (none: the default preset).
  const config = await loadConfig(dir);
  const engine = await engineFromConfig(config, dir);
  base = { config, engine, env: createEnv({ rootless: false, uid: 0, gid: 0, dataDir: path.join(dir, 'data'), rootfs }) };
  v8.setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as () => void;
  // Compile the schema validator before the clock runs.
  expectValidSpec((await runService({ ...base, compose: parseCompose('services: {w: {command: [x]}}', path.join(dir, 'compose.yaml'), 'compose.yaml', { cwd: dir, environment }) }, 'w')).result.spec);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  ok: number;
  refused: number;
  codes: Map<string, number>;
}

/** Load `text` as the project's compose file and run every service; throws on anything but a spec or a located CtnrError. */
async function runCase(text: string, out: Outcome): Promise<number> {
  const check = (err: unknown, where: string) => {
    if (!isCtnrError(err)) throw new Error(`${where}: not a CtnrError: ${(err as Error)?.stack ?? String(err)}`);
    expect(typeof err.code, `${where}: ${err.message}`).toBe('string');
    expect(err.location !== undefined || err.path !== undefined, `${where}: no location or key path: ${formatError(err)}`).toBe(true);
    // What the CLI prints of it: one formatter, no raw control character reaches the terminal.
    expect(formatError(err)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    out.refused++;
    out.codes.set(err.code, (out.codes.get(err.code) ?? 0) + 1);
  };
  let compose;
  try {
    compose = parseCompose(text, path.join(dir, 'compose.yaml'), 'compose.yaml', { cwd: dir, environment });
  } catch (err) {
    check(err, 'load');
    return 0;
  }
  const project: LoadedProject = { ...base, compose };
  let services = 0;
  for (const name of Object.keys(compose.services)) {
    // `base` is the file's scaffolding (extends and depends_on name it); hand-written texts have no base.
    if (name === 'base' && Object.keys(compose.services).length > 1) continue;
    services++;
    let run;
    try {
      run = await runService(project, name);
    } catch (err) {
      check(err, `service ${JSON.stringify(name)}`);
      continue;
    }
    try {
      expectValidSpec(run.result.spec);
    } catch (err) {
      throw new Error(`service ${JSON.stringify(name)}: the spec is not valid: ${(err as Error).message}\n${JSON.stringify((err as { actual?: unknown }).actual)}\n${text.slice(0, 2000)}`);
    }
    out.ok++;
  }
  return services;
}

fc.configureGlobal({ seed: SEED });

/** The failure of one service of a one-service file, or undefined when it made a spec. */
async function failure(service: Record<string, unknown>, top: Record<string, unknown> = {}) {
  const text = JSON.stringify({ ...top, services: { s: { command: ['true'], ...service } } });
  try {
    const compose = parseCompose(text, path.join(dir, 'compose.yaml'), 'compose.yaml', { cwd: dir, environment });
    await runService({ ...base, compose }, 's');
    return undefined;
  } catch (err) {
    return err as import('../../src/engine/errors.js').CtnrError;
  }
}

describe('what the fuzzer found (each failed before its fix)', () => {
  it('files a compose file names must be regular and bounded: a device, a FIFO or a symlink to /dev/zero is an error, not a hang or a memory bomb', async () => {
    for (const file of ['/dev/zero', './fifo', './link-to-zero', '/dev/tty']) {
      for (const [service, where] of [
        [{ env_file: file }, 'services.s.env_file[0]'],
        [{ label_file: file }, 'services.s.label_file[0]'],
        [{ security_opt: [`seccomp=${file}`] }, 'services.s.security_opt[0]'],
        [{ extends: { file, service: 'b' } }, 'services.s.extends'],
      ] as const) {
        const elapsed = stopwatch();
        const err = await failure(service);
        const { cpu, wall } = elapsed();
        expect(cpu, `${where} = ${file}: CPU ms`).toBeLessThan(CASE_MS);
        expect(wall, `${where} = ${file}: wall ms`).toBeLessThan(CASE_MS * WALL_FACTOR);
        expect(isCtnrError(err), `${where} = ${file}: ${String(err)}`).toBe(true);
        expect(err!.path ?? formatError(err), `${where} = ${file}`).toContain(where.replace(/\[0\]$/, ''));
        if (file !== '/dev/tty') expect(formatError(err), `${where} = ${file}`).toMatch(/not a regular file|cannot read/);
      }
    }
  });

  it('int64 fields stay in range: huge cpus, sizes and real-time periods are located refusals, not a spec the schema refuses', async () => {
    for (const [service, key] of [
      [{ cpus: 2 ** 64 }, 'cpus'],
      [{ deploy: { resources: { limits: { cpus: '1e12' } } } }, 'deploy'],
      [{ mem_limit: 1e308 }, 'mem_limit'],
      [{ shm_size: '9e18' }, 'shm_size'],
      [{ memswap_limit: -1e308, mem_limit: '1g' }, 'memswap_limit'],
      [{ cpu_rt_runtime: -1e308 }, 'cpu_rt_runtime'],
      [{ cpu_rt_period: -1 }, 'cpu_rt_period'],
    ] as const) {
      const err = await failure(service);
      expect(err?.code, `${key}: ${err ? formatError(err) : 'made a spec'}`).toBe('SERVICE_INVALID');
      expect(err!.path).toContain(key);
    }
  });

  it('the did-you-mean for a long unknown key is not quadratic in its length (a 64 KiB key took 13 s)', async () => {
    const text = JSON.stringify({ services: { s: { command: ['true'], ['k'.repeat(65_536)]: 1 } } });
    const compose = parseCompose(text, path.join(dir, 'compose.yaml'), 'compose.yaml', { cwd: dir, environment });
    const elapsed = stopwatch();
    const err = await runService({ ...base, compose }, 's').catch((e: unknown) => e as Error);
    const { cpu, wall } = elapsed();
    expect(cpu, 'CPU ms').toBeLessThan(100);
    expect(wall, 'wall ms').toBeLessThan(100 * WALL_FACTOR);
    expect((err as Error).message).toMatch(/^unknown key "k+/);
  });
});

describe('fuzz: hostile compose files through the loader and the engine', () => {
  it(`${RUNS} generated files (over 10,000 services) and hand-written YAML: a spec or a located CtnrError, in bounded time and memory`, async () => {
    const out: Outcome = { ok: 0, refused: 0, codes: new Map() };
    let services = 0;
    let slowest = 0;
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    let heapMax = 0;
    let cases = 0;
    const measure = async (text: string) => {
      const elapsed = stopwatch();
      services += await runCase(text, out);
      const { cpu, wall } = elapsed();
      slowest = Math.max(slowest, cpu);
      if (cpu > CASE_MS || wall > CASE_MS * WALL_FACTOR) {
        throw new Error(`one compose file took ${Math.round(cpu)} ms of CPU, ${Math.round(wall)} ms in all (bounds ${CASE_MS} and ${CASE_MS * WALL_FACTOR} ms): ${text.slice(0, 300)}`);
      }
      if (++cases % 1000 === 0) {
        gc();
        const heap = process.memoryUsage().heapUsed;
        heapMax = Math.max(heapMax, heap);
        if (heap - heap0 > HEAP_GROWTH) throw new Error(`heap grew by ${Math.round((heap - heap0) / 2 ** 20)} MiB after ${cases} files`);
      }
    };
    for (const text of YAML_TEXTS) await measure(text);
    await fc.assert(
      fc.asyncProperty(composeArb, async (doc) => measure(JSON.stringify(doc, null, 1))),
      { numRuns: RUNS, endOnFailure: true },
    );
    gc();
    const growth = process.memoryUsage().heapUsed - heap0;
    console.log(
      `fuzz: ${cases} files, ${services} services: ${out.ok} specs, ${out.refused} refusals ` +
        `(${[...out.codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}); slowest file ${Math.round(slowest)} ms of CPU; ` +
        `heap ${Math.round(growth / 2 ** 20)} MiB over the start (max ${Math.round((heapMax - heap0) / 2 ** 20)} MiB)`,
    );
    expect(services).toBeGreaterThanOrEqual(RUNS === 4000 ? 10_000 : 0);
    expect(out.ok).toBeGreaterThan(services / 10); // the valid side is exercised too, not only refusals
    expect(growth).toBeLessThan(HEAP_GROWTH);
  }, 240_000);
});
