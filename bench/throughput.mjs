// Services per second through the whole pipeline (engine.run + JSON.stringify) for a realistic service,
// against the hand-written direct-mutation baseline producing the same JSON, in one process, alternating
// rounds so both see the same machine noise. Input loading (YAML + zod) is measured separately.
import { isDeepStrictEqual } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../dist/src/create-engine.js';
import { loadComposeFile } from '../dist/src/compose/load.js';
import { selectService } from '../dist/src/compose/select.js';
import { defaultPreset } from '../dist/presets/default.js';
import { buildDirect } from './baseline.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROUND_MS = 200;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function firstDifference(a, b, at = '') {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], `${at}/${k}`);
      if (d) return d;
    }
  }
  return `${at || '/'}: pipeline ${JSON.stringify(a)?.slice(0, 200)} vs baseline ${JSON.stringify(b)?.slice(0, 200)}`;
}

/** Run `fn` repeatedly for about ROUND_MS; return calls per second. */
async function round(fn) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(ROUND_MS * 1e6);
  let now = t0;
  while (now < deadline) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - t0) / 1e9);
}

export async function measureThroughput() {
  const compose = loadComposeFile(path.join(REPO, 'bench/fixture/compose.yaml'));
  const { input } = selectService(compose, 'api');
  const env = { rootless: false, dataDir: '/var/lib/ctnr', uid: 0, gid: 0, arch: 'amd64', kernelRelease: os.release() };
  const engine = createEngine({ presets: [defaultPreset()] });
  const hook = {
    path: process.execPath,
    args: [process.execPath, path.join(REPO, 'bin/ctnr.cjs'), 'hook', 'network'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    timeout: 60,
  };

  const viaPipeline = (await engine.run(input, env)).spec;
  const direct = buildDirect(input, env, hook);
  const diff = firstDifference(JSON.parse(JSON.stringify(viaPipeline)), JSON.parse(JSON.stringify(direct)));
  if (diff) throw new Error(`baseline no longer matches the pipeline (update bench/baseline.mjs): ${diff}`);

  const pipeline = async () => JSON.stringify((await engine.run(input, env)).spec);
  const baseline = () => JSON.stringify(buildDirect(input, env, hook));
  const load = () => selectService(loadComposeFile(path.join(REPO, 'bench/fixture/compose.yaml')), 'api');
  for (let i = 0; i < 2000; i++) {
    await pipeline();
    baseline();
  }
  const p = [], b = [], l = [];
  for (let r = 0; r < ROUNDS; r++) {
    p.push(await round(pipeline));
    b.push(await round(baseline));
    if (r % 3 === 0) l.push(await round(load));
  }
  // The ratio of each pipeline round to the baseline round right after it, then their median: the VM's speed drifts
  // over seconds, and a pair of neighbouring rounds sees the same speed where the two medians may not.
  const ratio = median(p.map((rate, i) => b[i] / rate));
  return { pipeline: median(p), baseline: median(b), ratio, load: median(l), bytes: JSON.stringify(viaPipeline).length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await measureThroughput();
  console.log(`pipeline ${r.pipeline.toFixed(0)}/s, baseline ${r.baseline.toFixed(0)}/s, ratio ${r.ratio.toFixed(2)}x, load ${r.load.toFixed(0)}/s`);
}
