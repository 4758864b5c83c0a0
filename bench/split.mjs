// Where a service's engine.run time goes (issue 14): the plugins' own calls, measured in place (each apply() timed
// with performance.now, less what that timing itself costs), the base spec, and the rest — the engine: contexts,
// op checks, applying ops, the trace. Medians of rounds; the run itself is timed without the wrappers, alternating.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../dist/src/create-engine.js';
import { loadComposeFile } from '../dist/src/compose/load.js';
import { selectService } from '../dist/src/compose/select.js';
import { defaultPreset } from '../dist/presets/default.js';
import { createBaseSpec } from '../dist/presets/engines/docker-base.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = 2000;
const ROUNDS = 11;

export async function measureSplit() {
  const { input } = selectService(loadComposeFile(path.join(REPO, 'bench/fixture/compose.yaml')), 'api');
  const env = { rootless: false, dataDir: '/var/lib/ctnr', uid: 0, gid: 0, arch: 'amd64', kernelRelease: os.release() };
  const now = performance.now.bind(performance);
  let inPlugins = 0;
  let calls = 0;
  const timed = defaultPreset();
  for (const p of timed.plugins) {
    if (!p.apply) continue;
    const apply = p.apply;
    p.apply = function (ctx) {
      const t = now();
      const out = apply.call(this, ctx);
      inPlugins += now() - t;
      calls++;
      return out;
    };
  }
  const wrapped = createEngine({ presets: [timed] });
  const plain = createEngine({ presets: [defaultPreset()] });
  // What a timed call costs beyond the call: two now() and the additions, on an empty function.
  let sink = 0;
  const empty = () => {
    const t = now();
    sink += now() - t;
  };
  const rows = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = now();
    for (let i = 0; i < N; i++) await plain.run(input, env);
    const run = (now() - t0) / N;
    inPlugins = 0;
    calls = 0;
    for (let i = 0; i < N; i++) await wrapped.run(input, env);
    const perService = calls / N;
    sink = 0;
    t0 = now();
    for (let i = 0; i < calls; i++) empty();
    const timerCost = (now() - t0 - sink) / calls;
    const plugins = inPlugins / N - perService * timerCost;
    t0 = now();
    for (let i = 0; i < N; i++) createBaseSpec();
    const base = (now() - t0) / N;
    rows.push({ run, plugins, base, engine: run - plugins - base, calls: perService });
  }
  const median = (k) => rows.map((x) => x[k]).sort((a, b) => a - b)[rows.length >> 1] * 1000;
  return { runUs: median('run'), pluginsUs: median('plugins'), baseUs: median('base'), engineUs: median('engine'), calls: rows[0].calls };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await measureSplit();
  console.log(`engine.run ${s.runUs.toFixed(1)} µs = plugins ${s.pluginsUs.toFixed(1)} µs (${s.calls} calls) + base spec ${s.baseUs.toFixed(1)} µs + engine ${s.engineUs.toFixed(1)} µs`);
}
