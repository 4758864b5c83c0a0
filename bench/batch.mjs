// `ctnr spec --all -o DIR` over one file of N services, in one process, and `ctnr spec SERVICE` of the last service
// of the largest file: wall time, CPU time (user + system) and peak RSS (the child's own, reported by a preload at
// exit). Medians of interleaved runs, so the per-service cost (linear or not) shows next to the total. On a shared,
// loaded machine wall times vary with the load; compare CPU times.
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from './child-env.mjs';
import { largeCompose } from './large-file.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'bin/ctnr.cjs');
const RSS_PROBE = path.join(REPO, 'bench/rss-probe.cjs');
const RUNS = Number(process.env.BENCH_BATCH_RUNS ?? 5);
/** Stands for the run's own output directory in a case's arguments. */
const OUT = Symbol('output directory');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Rows `{ services, what, cached, ms, cpuMs, rssMb }`: `what` is `all` (spec --all -o DIR, one row per size, in the
 * order given) or, with `one`, `one` (spec of the last service of the largest file, which reads the file in parts
 * and no parse cache). `cached`: the CLI's caches (code, parsed compose files) were filled by a warm-up run, as on
 * a user's second run; the rows with `cached: false` run with CTNR_NO_PARSE_CACHE=1 (the file is parsed every
 * time: a first run, or a changed file).
 */
export function measureBatch(sizes = [1000, 5000], { one = false } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ctnr-bench-batch-'));
  try {
    const projects = sizes.map((n) => {
      const dir = path.join(root, `p${n}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
      // No `image:`: the bench measures generation, not registry lookups (each service names its command).
      writeFileSync(path.join(dir, 'compose.yaml'), largeCompose(n).replaceAll('    image: busybox\n', ''));
      return { n, dir };
    });
    const first = projects[0];
    const largest = projects[projects.length - 1];
    const noParseCache = { CTNR_NO_PARSE_CACHE: '1' };
    const cases = [
      ...projects.map((p) => ({ ...p, what: 'all', cached: true, args: ['spec', '--all', '-o', OUT, '--compact'] })),
      { ...first, what: 'all', cached: false, env: noParseCache, args: ['spec', '--all', '-o', OUT, '--compact'] },
      // A named service of a large file is read in parts (src/compose/split-parse.ts), without the parse cache.
      ...(one ? [{ ...largest, what: 'one', cached: false, env: noParseCache, args: ['spec', `svc-${largest.n - 1}`, '--compact'] }] : []),
      // The disk's share: as many empty files created in a fresh directory, by this process, one after another.
      { ...first, what: 'disk' },
    ].map((c) => ({ ...c, ms: [], cpu: [], rss: [] }));
    const cacheHome = path.join(root, 'cache');
    // Every run writes into a directory of its own, and all of them are removed at the end. Removing the last run's
    // thousand files just before the next run timed the kernel instead of ctnr: ext4 without a journal (this VM's
    // disk) skips inodes freed in the last minute when it allocates new ones, one inode-table read per skipped
    // inode, which made creating each file cost up to 1 ms instead of some 25 µs.
    let runs = 0;
    const once = (c) => {
      const out = path.join(c.dir, `out-${++runs}`);
      mkdirSync(out);
      if (c.what === 'disk') {
        c.ms.push(createEmptyFiles(out, c.n));
        return;
      }
      const rssFile = path.join(c.dir, 'rss');
      const t0 = process.hrtime.bigint();
      // The CLI as users start it (bin/ctnr.cjs as a program), the probe preloaded.
      const r = spawnSync(CLI, c.args.map((a) => (a === OUT ? out : a)), {
        cwd: c.dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: childEnv({
          XDG_CACHE_HOME: cacheHome,
          CTNR_BENCH_RSS_FILE: rssFile,
          NODE_OPTIONS: `--require ${RSS_PROBE}`,
          ...c.env,
        }),
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`ctnr ${c.args.join(' ')} (${c.n} services) failed: ${r.stderr}`);
      if (c.what === 'all') {
        const written = readdirSync(out).length;
        if (written !== c.n) throw new Error(`spec --all wrote ${written} specs for ${c.n} services`);
      }
      const [rssKb, cpuUs] = readFileSync(rssFile, 'utf8').split(' ').map(Number);
      c.ms.push(ms);
      c.cpu.push(cpuUs / 1000);
      c.rss.push(rssKb / 1024);
    };
    for (const c of cases) once(c); // warm the page cache and the CLI's caches
    for (const c of cases) (c.ms.length = 0), (c.cpu.length = 0), (c.rss.length = 0);
    for (let i = 0; i < RUNS; i++) for (const c of [...cases].sort(() => Math.random() - 0.5)) once(c);
    return cases.map((c) => ({ services: c.n, what: c.what, cached: c.cached, ms: median(c.ms), cpuMs: median(c.cpu), rssMb: median(c.rss) }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Milliseconds to create `n` empty files in `dir`. */
function createEmptyFiles(dir, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) closeSync(openSync(path.join(dir, `f${i}`), 'wx'));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** One line per row, as `npm run bench` prints them. */
export function batchLine(r) {
  if (r.what === 'disk') return `${String(r.services).padStart(6)} empty files created, one by one, in a fresh directory (the disk's share) ${r.ms.toFixed(0).padStart(6)} ms`;
  const what = r.what === 'all' ? 'spec --all -o DIR' : `spec svc-${r.services - 1}`;
  const target = r.what === 'all' ? (r.services === 1000 ? '  target < 1000 ms, < 200 MB' : '') : '  target < 500 ms';
  const how = r.what === 'one' ? 'read in parts' : r.cached ? 'parse cached ' : 'parsed       ';
  return `${String(r.services).padStart(6)} services  ${what.padEnd(18)} ${how} ${r.ms.toFixed(0).padStart(6)} ms wall  ${r.cpuMs.toFixed(0).padStart(6)} ms CPU  ${r.rssMb.toFixed(0).padStart(5)} MB${target}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of measureBatch(undefined, { one: true })) console.log(batchLine(r));
}
