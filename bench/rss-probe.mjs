// Preloaded into a benchmarked child (`node --import`): writes its peak RSS (KiB), then its CPU time (user + system,
// µs), to $CTNR_BENCH_RSS_FILE at exit.
import { writeFileSync } from 'node:fs';

const file = process.env.CTNR_BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS} ${process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime}`));
