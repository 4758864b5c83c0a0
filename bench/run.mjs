// `npm run bench`: pipeline throughput against the hand-written baseline, and the CLI's cold start next to
// bare node, measured in one run. Targets (not asserted): pipeline ≥ 20,000 services/s on one core and
// ≤ 1.5× the baseline's time; `ctnr spec` cold ≤ node + 80 ms without a config, ≤ node + 120 ms with a .ts config.
import { measureThroughput } from './throughput.mjs';
import { measureCold } from './cold.mjs';

const t = await measureThroughput();
const ratio = t.baseline / t.pipeline;
console.log('throughput (one core, realistic service, spec serialised to JSON):');
console.log(`  pipeline  ${t.pipeline.toFixed(0).padStart(8)} services/s  (${(1e6 / t.pipeline).toFixed(1)} µs each)  target ≥ 20000`);
console.log(`  baseline  ${t.baseline.toFixed(0).padStart(8)} services/s  (${(1e6 / t.baseline).toFixed(1)} µs each)`);
console.log(`  pipeline takes ${ratio.toFixed(2)}× the baseline's time  target ≤ 1.50`);
console.log(`  loading the compose file + validating the service: ${t.load.toFixed(0)}/s (${(1e6 / t.load).toFixed(1)} µs), spec ${t.bytes} bytes`);
console.log('cold start (median wall time, interleaved runs):');
const cold = measureCold();
for (const r of cold) console.log(`  ${r.name.padEnd(52)} ${r.medianMs.toFixed(1).padStart(7)} ms  (+${r.overNodeMs.toFixed(1)} ms over node)`);
console.log('large compose file (loading it; the time should double with the services, not quadruple):');
const { measureLargeFile } = await import('./large-file.mjs');
for (const r of await measureLargeFile()) console.log(`  ${String(r.services).padStart(6)} services (${(r.bytes / 1e6).toFixed(1)} MB)  ${r.ms.toFixed(0).padStart(7)} ms`);
