// `ctnr spec --all -o DIR` over one file of N services, in one process: wall time and peak RSS (the child's
// own maxRSS, reported by a preload at exit). Medians of interleaved runs of 1,000 and 5,000 services, so
// the per-service cost (linear or not) shows next to the total.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { largeCompose } from './large-file.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'bin/ctnr.mjs');
const RSS_PROBE = path.join(REPO, 'bench/rss-probe.mjs');
const RUNS = Number(process.env.BENCH_BATCH_RUNS ?? 5);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function measureBatch(sizes = [1000, 5000]) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ctnr-bench-batch-'));
  try {
    const cases = sizes.map((n) => {
      const dir = path.join(root, `p${n}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
      // No `image:`: the bench measures generation, not registry lookups (each service names its command).
      writeFileSync(path.join(dir, 'compose.yaml'), largeCompose(n).replaceAll('    image: busybox\n', ''));
      return { n, dir, ms: [], rss: [] };
    });
    const once = (c) => {
      const out = path.join(c.dir, 'out');
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      const rssFile = path.join(c.dir, 'rss');
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, ['--import', RSS_PROBE, CLI, 'spec', '--all', '-o', out, '--compact'], {
        cwd: c.dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CTNR_BENCH_RSS_FILE: rssFile },
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`spec --all (${c.n} services) failed: ${r.stderr}`);
      const written = readdirSync(out).length;
      if (written !== c.n) throw new Error(`spec --all wrote ${written} specs for ${c.n} services`);
      c.ms.push(ms);
      c.rss.push(Number(readFileSync(rssFile, 'utf8')) / 1024);
    };
    for (const c of cases) once(c); // warm the page cache
    for (const c of cases) (c.ms.length = 0), (c.rss.length = 0);
    for (let i = 0; i < RUNS; i++) for (const c of [...cases].sort(() => Math.random() - 0.5)) once(c);
    return cases.map((c) => ({ services: c.n, ms: median(c.ms), rssMb: median(c.rss) }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of measureBatch()) console.log(`${String(r.services).padStart(6)} services  ${r.ms.toFixed(0).padStart(6)} ms  ${r.rssMb.toFixed(0).padStart(5)} MB peak RSS`);
}
