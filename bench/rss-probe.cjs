// Preloaded into a benchmarked child (`node --require`): writes its peak RSS (KiB), then its CPU time (user + system,
// µs), to $CTNR_BENCH_RSS_FILE at exit. CommonJS: an ES module preload (`--import`) would start node's ES module
// loader, which the ctnr command itself does not (bin/ctnr.cjs).
const { writeFileSync } = require('node:fs');

const file = process.env.CTNR_BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS} ${process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime}`));
