import { main } from './main.js';

// bin/ctnr-runtime.mjs passes its own path: the config may not name ctnr-runtime as the real runtime.
const self = [process.argv[1], process.env.CTNR_RUNTIME_SELF].filter((p): p is string => typeof p === 'string' && p !== '');
const code = await main(process.argv.slice(2), self);
if (code !== 0) process.exitCode = code;
