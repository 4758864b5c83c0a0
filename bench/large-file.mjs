// Loading a very large compose file: every step of the loader must be linear in the file's size (issue 16:
// duplicate-key checking was quadratic, 32k services took 68 s). Prints the time for 4k, 8k, 16k and 32k
// services; doubling the services should about double the time (wall and CPU time: on a shared machine, compare
// CPU). Runs against the built library (dist/src).
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** A compose file of `n` small services, each with an environment and labels. */
export function largeCompose(n) {
  const lines = ['services:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  svc-${i}:`, '    image: busybox', '    command: ["sleep", "1"]', '    environment:', `      A: "${i}"`, '      B: b', '    labels:', `      app: a${i}`);
  }
  return lines.join('\n') + '\n';
}

export async function measureLargeFile(sizes = [4000, 8000, 16000, 32000]) {
  const { parseCompose } = await import(pathToFileURL(path.join(REPO, 'dist/src/compose/load.js')).href);
  const out = [];
  // Untimed first: the first sizes would otherwise carry the JIT's warm-up and look worse than linear.
  parseCompose(largeCompose(1000), '/tmp/bench/compose.yaml', 'compose.yaml', { environment: {} });
  for (const n of sizes) {
    const text = largeCompose(n);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    parseCompose(text, '/tmp/bench/compose.yaml', 'compose.yaml', { environment: {} });
    const cpu = process.cpuUsage(c0);
    out.push({ services: n, bytes: text.length, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await measureLargeFile()) console.log(`  ${String(r.services).padStart(6)} services (${(r.bytes / 1e6).toFixed(1)} MB)  ${r.ms.toFixed(0).padStart(7)} ms wall  ${r.cpuMs.toFixed(0).padStart(7)} ms CPU`);
}
