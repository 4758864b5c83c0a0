// Preloaded into a benchmarked child (`node --import`): writes its peak RSS (KiB) to $CTNR_BENCH_RSS_FILE at exit.
import { writeFileSync } from 'node:fs';

const file = process.env.CTNR_BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
