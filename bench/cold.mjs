// Cold start of `ctnr spec` (one service, without and with a .ts config) next to bare `node -e 0`, measured
// in the same run, interleaved and shuffled so machine noise hits all three alike. Wall time per process.
// The CLI keeps V8's code cache in $XDG_CACHE_HOME/ctnr (src/cli/code-cache.ts): the bench gives it a fresh
// directory, which the warm-up run fills, and measures the first-run cost too (CTNR_NO_CODE_CACHE=1).
// ctnr starts as users start it: bin/ctnr.cjs as a program (what npm's bin link runs), a shell line that sets up and
// execs node (its `node` from PATH), not `node bin/ctnr.cjs`; `node -e 0` is node itself.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from './child-env.mjs';
import { makeImageFixture } from './image-fixture.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'bin/ctnr.cjs');
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 25);

// bench/projects/: the same service without a config, and with README's ctnr.config.ts (`import … from 'ctnr'`
// plus a relative .ts plugin). `key` names the figures the summary line reports.
const PROJECTS = path.join(REPO, 'bench/projects');
const variants = [
  { name: 'node -e 0', node: true, args: ['-e', '0'], cwd: REPO },
  { name: 'ctnr spec (no config)', key: 'cold', args: ['spec', 'web'], cwd: path.join(PROJECTS, 'plain') },
  { name: "ctnr spec (README's ctnr.config.ts + .ts plugin)", key: 'tsconfig', args: ['spec', 'web'], cwd: path.join(PROJECTS, 'readme-config') },
  { name: 'ctnr spec (no config, no code cache)', args: ['spec', 'web'], cwd: path.join(PROJECTS, 'plain'), env: { CTNR_NO_CODE_CACHE: '1' } },
  { name: 'ctnr --version', args: ['--version'], cwd: REPO },
  { name: 'ctnr --help', args: ['--help'], cwd: REPO },
];
// The image config from the image store (`image:` of a stored image) next to today's --image-config FILE path.
const img = makeImageFixture(CLI);
variants.push(
  { name: 'ctnr spec --image-config FILE', args: ['spec', 'web', '--image-config', img.imageConfig, '--data-dir', img.dataDir], cwd: img.dir },
  { name: 'ctnr spec (image from the store)', args: ['spec', 'web', '--pull', 'never', '--data-dir', img.dataDir], cwd: img.dir },
);

const cacheHome = mkdtempSync(path.join(os.tmpdir(), 'ctnr-bench-cache-'));
process.on('exit', () => rmSync(cacheHome, { recursive: true, force: true }));

function once(v) {
  const env = childEnv({ XDG_CACHE_HOME: cacheHome, ...v.env });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(v.node ? process.execPath : CLI, v.args, { cwd: v.cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${v.name} failed: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function measureCold() {
  for (const v of variants) once(v); // warm the page cache, jiti's transpile cache and the code cache
  const times = variants.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    const order = variants.map((_, k) => k).sort(() => Math.random() - 0.5);
    for (const k of order) times[k].push(once(variants[k]));
  }
  const base = median(times[0]);
  return variants.map((v, k) => ({ name: v.name, key: v.key, medianMs: median(times[k]), overNodeMs: median(times[k]) - base }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of measureCold()) console.log(`${r.name.padEnd(52)} ${r.medianMs.toFixed(1).padStart(7)} ms  (+${r.overNodeMs.toFixed(1)} ms over node)`);
}
