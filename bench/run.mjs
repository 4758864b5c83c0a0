// `npm run bench`: pipeline throughput against the hand-written baseline (and where engine.run's time goes), the
// CLI's cold start next to bare node, and `spec --all` over 1,000 and 5,000 services, measured in one run; the last
// line sums it up for machines. Targets (issue 14, not asserted): ratio ≤ 1.5; cold ≤ node + 80 ms without a config, ≤ node + 120 ms
// with README's .ts config; 1,000 services < 1 s and < 200 MB.
import { measureThroughput } from './throughput.mjs';
import { measureCold } from './cold.mjs';
import { batchLine, measureBatch } from './batch.mjs';

const t = await measureThroughput();
const ratio = t.ratio;
console.log('throughput (one core, realistic service, spec serialised to JSON):');
console.log(`  pipeline  ${t.pipeline.toFixed(0).padStart(8)} services/s  (${(1e6 / t.pipeline).toFixed(1)} µs each)  target ≥ 20000`);
console.log(`  baseline  ${t.baseline.toFixed(0).padStart(8)} services/s  (${(1e6 / t.baseline).toFixed(1)} µs each)`);
console.log(`  pipeline takes ${ratio.toFixed(2)}× the baseline's time (median of neighbouring rounds' ratios)  target ≤ 1.50`);
console.log(`  loading the compose file + validating the service: ${t.load.toFixed(0)}/s (${(1e6 / t.load).toFixed(1)} µs), spec ${t.bytes} bytes`);
// The run's own parts (without the JSON): the plugins' calls in place, the base spec, and the engine around them.
const { measureSplit } = await import('./split.mjs');
const split = await measureSplit();
console.log(`  engine.run alone: ${split.runUs.toFixed(1)} µs = plugins ${split.pluginsUs.toFixed(1)} µs (${split.calls} calls) + base spec ${split.baseUs.toFixed(1)} µs + engine ${split.engineUs.toFixed(1)} µs (contexts, op checks, applying, trace)`);
const views = await measureThirdParty();
console.log(`  the same plugins as third-party ones (read-only ctx.spec views, copied values): ${views.thirdParty.toFixed(1)} µs vs ${views.own.toFixed(1)} µs each (${(views.thirdParty / views.own).toFixed(2)}×)`);
console.log('cold start (median wall time, interleaved runs):');
const cold = measureCold();
for (const r of cold) console.log(`  ${r.name.padEnd(52)} ${r.medianMs.toFixed(1).padStart(7)} ms  (+${r.overNodeMs.toFixed(1)} ms over node)`);
console.log('large compose file (loading it; the time should double with the services, not quadruple):');
const { measureLargeFile } = await import('./large-file.mjs');
for (const r of await measureLargeFile()) console.log(`  ${String(r.services).padStart(6)} services (${(r.bytes / 1e6).toFixed(1)} MB)  ${r.ms.toFixed(0).padStart(7)} ms`);
// ctnr-runtime create against runc create (issue 18; root, runc and busybox, else it says why it skipped).
const { measureRuntimeShim, printRuntimeShim } = await import('./runtime-shim.mjs');
printRuntimeShim(measureRuntimeShim());

console.log('batch: `ctnr spec --all -o DIR` in one process, and `spec` of one service of the largest file (medians; peak RSS):');
const batch = measureBatch([1000, 5000], { one: true });
for (const r of batch) console.log(`  ${batchLine(r)}`);

// One machine-readable line, last: medians of interleaved runs (issue 14).
const coldOf = (key) => cold.find((r) => r.key === key).overNodeMs;
const b1000 = batch.find((r) => r.services === 1000 && r.what === 'all' && r.cached);
console.log(
  `bench: ratio=${ratio.toFixed(2)} cold_ms=${coldOf('cold').toFixed(0)} tsconfig_ms=${coldOf('tsconfig').toFixed(0)} ` +
    `batch1000_ms=${b1000.ms.toFixed(0)} batch1000_rss_mb=${b1000.rssMb.toFixed(0)}`,
);

/**
 * Plugins from outside ctnr's presets see `ctx.spec` through read-only views and have their values copied
 * (src/engine/readonly.ts); ctnr's own plugins see the spec itself. This runs the default preset's plugins both ways
 * (alternating rounds, medians) so the cost of the views shows.
 */
async function measureThirdParty() {
  const os = await import('node:os');
  const path = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { createEngine } = await import('../dist/src/create-engine.js');
  const { loadComposeFile } = await import('../dist/src/compose/load.js');
  const { selectService } = await import('../dist/src/compose/select.js');
  const { defaultPreset } = await import('../dist/presets/default.js');
  const { shippedPreset } = await import('../dist/src/engine/reserved.js');
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const { input } = selectService(loadComposeFile(path.join(repo, 'bench/fixture/compose.yaml')), 'api');
  const env = { rootless: false, dataDir: '/var/lib/ctnr', uid: 0, gid: 0, arch: 'amd64', kernelRelease: os.release() };
  const preset = defaultPreset();
  const own = createEngine({ presets: [preset] });
  // The same plugins under a third-party prefix (a config cannot use ctnr:), so the engine gives them the
  // read-only views it gives every plugin not shipped with ctnr. io.ctnr.* annotations are ctnr's alone, so the
  // plugins that write them stay ctnr's own here.
  const writesCtnrAnnotations = new Set(['ctnr:stop-grace-period', 'ctnr:healthcheck', 'ctnr:annotations']);
  const rename = (n) => (n.startsWith('ctnr:') && !writesCtnrAnnotations.has(n) ? `bench:${n.slice(5)}` : n);
  const renamed = preset.plugins.map((p) => ({ ...p, name: rename(p.name), ...(p.before ? { before: p.before.map(rename) } : {}), ...(p.after ? { after: p.after.map(rename) } : {}) }));
  const thirdParty = createEngine({
    presets: [
      // ctnr's own plugins come from a preset ctnr's factories made: the engine trusts the object, not a name.
      shippedPreset({ name: 'ctnr:bench-own', stages: preset.stages, plugins: renamed.filter((p) => p.name.startsWith('ctnr:')) }),
      { name: 'bench:third-party', plugins: renamed.filter((p) => !p.name.startsWith('ctnr:')) },
    ],
  });
  const perService = async (engine) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 300; i++) JSON.stringify((await engine.run(input, env)).spec);
    return Number(process.hrtime.bigint() - t0) / 300 / 1000;
  };
  for (let i = 0; i < 5; i++) await perService(own), await perService(thirdParty);
  const a = [], b = [];
  for (let r = 0; r < 15; r++) a.push(await perService(own)), b.push(await perService(thirdParty));
  const median = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1];
  return { own: median(a), thirdParty: median(b) };
}
