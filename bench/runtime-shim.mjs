// ctnr-runtime's cost (issue 18): `ctnr-runtime create` against `runc create` on the same bundle (the spec podman
// wrote for a plain container, test/fixtures/runtime-shim/podman-config.json, on a busybox root), with no config,
// a baseline JSON config (the startup snapshot) and a restricted-fix .mjs config with an organisation plugin; and
// `state`, which ctnr-runtime only hands over (from its handover cache once node has run for the config). Goal: create ≤ runc create + 60 ms. Children get PATH alone, as
// engines start runtimes (conmon passes almost no environment). Interleaved, shuffled rounds; medians.
// Needs root, runc and busybox: otherwise it says why and measures nothing.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';

const TMPFS_MAGIC = 0x01021994;
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHIM = path.join(REPO, 'bin/ctnr-runtime.mjs');
const RUNS = Number(process.env.BENCH_RUNTIME_RUNS ?? 15);
// Where the bundles go: podman (runroot /run/containers/storage) and containerd (/run/containerd) keep bundles in
// /run, a tmpfs on a systemd host, so flushing a rewritten config.json costs nothing there. /run is on disk on some
// machines (this VM's), so the bench uses /dev/shm, a tmpfs, when it has one.
const BUNDLE_PARENT = existsSync('/dev/shm') && statfsSync('/dev/shm').type === TMPFS_MAGIC ? '/dev/shm' : os.tmpdir();

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd} || ls /usr/sbin/${cmd} 2>/dev/null`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : undefined;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function measureRuntimeShim() {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  const runc = which('runc');
  const missing = [process.getuid?.() !== 0 && 'root', !runc && 'runc', !busybox && 'busybox-static', !existsSync(path.join(REPO, 'dist/ctnr-runtime.mjs')) && 'a build'].filter(Boolean);
  if (missing.length > 0) return { skipped: `needs ${missing.join(', ')}` };

  const dir = mkdtempSync(path.join(BUNDLE_PARENT, 'ctnr-bench-runtime-'));
  try {
    const rootfs = path.join(dir, 'rootfs');
    for (const d of ['bin', 'proc', 'sys', 'dev', 'etc', 'tmp']) mkdirSync(path.join(rootfs, d), { recursive: true });
    copyFileSync(busybox, path.join(rootfs, 'bin/busybox'));
    symlinkSync('busybox', path.join(rootfs, 'bin/sh'));
    const spec = JSON.parse(readFileSync(path.join(REPO, 'test/fixtures/runtime-shim/podman-config.json'), 'utf8'));
    spec.root = { path: rootfs };
    spec.mounts = spec.mounts.filter((m) => m.type !== 'bind');
    spec.process.args = ['/bin/sh', '-c', 'true'];
    spec.process.terminal = false;
    const bundle = path.join(dir, 'bundle');
    mkdirSync(bundle);

    const baseline = path.join(dir, 'runtime.config.json');
    writeFileSync(baseline, JSON.stringify({ presets: ['baseline'], runtime: runc }));
    const fix = path.join(dir, 'runtime.config.mjs');
    writeFileSync(fix, `export default ({ restrictedPreset, op }) => ({
  presets: [restrictedPreset({ fix: true })],
  plugins: [{ name: 'acme:org', stage: 'process', anySpec: true, apply: ({ spec }) => [op.env('ORG', 'acme', spec)] }],
  policy: { exemptions: [{ annotations: { 'io.container.manager': 'libpod' }, control: 'runAsNonRoot', reason: 'bench' }] },
  runtime: ${JSON.stringify(runc)},
});\n`);

    let n = 0;
    const variants = [
      { key: 'runc', name: 'runc create', cmd: runc, create: true },
      { key: 'none', name: 'ctnr-runtime create, no config', cmd: SHIM, create: true },
      { key: 'json', name: 'ctnr-runtime create, baseline .json', cmd: SHIM, create: true, config: baseline },
      { key: 'mjs', name: 'ctnr-runtime create, restricted fix .mjs + plugin', cmd: SHIM, create: true, config: fix },
      { key: 'runc-state', name: 'runc state', cmd: runc },
      { key: 'state-none', name: 'ctnr-runtime state, no config', cmd: SHIM },
      { key: 'state-json', name: 'ctnr-runtime state, .json config', cmd: SHIM, config: baseline },
      { key: 'state-mjs', name: 'ctnr-runtime state, .mjs config', cmd: SHIM, config: fix },
    ];
    const errFile = path.join(dir, 'stderr');
    const cpuFile = path.join(dir, 'cpu');
    const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
    const once = (v) => {
      const id = `ctnr-bench-${process.pid}-${++n}`;
      // a cgroup of its own per container (podman's path would be shared by all of them)
      writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ...spec, linux: { ...spec.linux, cgroupsPath: `/${id}` } }, null, 2));
      const env = { PATH: process.env.PATH, ...(v.config ? { CTNR_RUNTIME_CONFIG: v.config } : {}) };
      const args = v.create ? ['create', '--bundle', bundle, id] : ['state', 'ctnr-bench-none'];
      // stderr to a file: the container's init inherits it, and a pipe would stay open until the container is deleted
      const err = openSync(errFile, 'w');
      // /usr/bin/time reports the CPU the command and its children used: steadier than wall time on a busy machine.
      const [cmd, argv] = TIME ? [TIME, ['-f', '%U %S', '-o', cpuFile, v.cmd, ...args]] : [v.cmd, args];
      const t0 = process.hrtime.bigint();
      const r = spawnSync(cmd, argv, { env, stdio: ['ignore', 'ignore', err] });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      closeSync(err);
      const cpu = TIME ? readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').reduce((a, x) => a + Number(x) * 1000, 0) : NaN;
      if (v.create) {
        spawnSync(runc, ['delete', '--force', id], { stdio: 'ignore' });
        if (r.status !== 0) throw new Error(`${v.name} failed: ${readFileSync(errFile, 'utf8')}`);
      }
      return { ms, cpu };
    };
    for (const v of variants) once(v); // warm the page cache
    const times = variants.map(() => []);
    // Each block's samples by variant: a row is compared with the runtime's own runs of the blocks it ran in.
    const blocks = [];
    const rounds = (keys) => {
      const ks = keys.map((key) => variants.findIndex((v) => v.key === key));
      const block = new Map(ks.map((k) => [k, []]));
      blocks.push(block);
      for (let i = 0; i < RUNS; i++) {
        for (const k of [...ks].sort(() => Math.random() - 0.5)) {
          const t = once(variants[k]);
          times[k].push(t);
          block.get(k).push(t);
        }
      }
    };
    // A host has one runtime config, and the handover cache remembers one: each config in a block of its own, with
    // runc's create (and the pass-through) interleaved. Alternating the two configs would have every create rewrite
    // the cache (a file created and renamed in /run/ctnr: 0.5-8 ms on this disk), which a host does once.
    rounds(['runc', 'none', 'json']);
    rounds(['runc', 'none', 'mjs']);
    // The same for `state` (interleaving two configs would have each evict the other's entry).
    for (const key of ['state-none', 'state-json', 'state-mjs']) {
      once(variants.find((v) => v.key === key));
      rounds(['runc-state', key]);
    }
    // CPU: the mean, not the median: time(1) counts in 10 ms steps, and the median of such steps moves 10 ms at a time.
    const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const rows = variants.map((v, k) => ({ key: v.key, name: v.name, medianMs: median(times[k].map((t) => t.ms)), cpuMs: mean(times[k].map((t) => t.cpu)) }));
    // Against the direct runtime's runs in the same blocks, not all of them: the VM's speed drifts from one block to
    // the next (by several ms on a create), and a config measured in a slow block would be charged for it.
    rows.forEach((r, k) => {
      const refK = variants.findIndex((v) => v.key === (r.key.startsWith('state') || r.key === 'runc-state' ? 'runc-state' : 'runc'));
      const ref = blocks.filter((b) => b.has(k)).flatMap((b) => b.get(refK) ?? []);
      r.overMs = r.medianMs - median(ref.map((t) => t.ms));
      r.overCpuMs = r.cpuMs - mean(ref.map((t) => t.cpu));
    });
    return { rows, load: os.loadavg()[0] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printRuntimeShim(result) {
  console.log('ctnr-runtime (median wall time and mean CPU time, interleaved; goal: create ≤ runc create + 60 ms):');
  if (result.skipped) {
    console.log(`  skipped: ${result.skipped}`);
    return;
  }
  for (const r of result.rows) {
    const base = r.key === 'runc' || r.key === 'runc-state';
    const over = base ? '' : `  (+${r.overMs.toFixed(1)} ms over ${r.key.startsWith('state') ? 'runc state' : 'runc create'})`;
    const cpu = Number.isNaN(r.cpuMs) ? '' : `  cpu ${r.cpuMs.toFixed(0).padStart(4)} ms${base ? '' : ` (+${r.overCpuMs.toFixed(0)})`}`;
    console.log(`  ${r.name.padEnd(52)} ${r.medianMs.toFixed(1).padStart(7)} ms${over}${cpu}`);
  }
  console.log(`  (load average ${result.load.toFixed(1)} while measuring: wall times grow with it, cpu times much less)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) printRuntimeShim(measureRuntimeShim());
