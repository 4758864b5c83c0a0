import { config as zodConfig } from 'zod';
import { main } from './cli/main.js';
import { exitQuietlyOnClosedPipe } from './cli/pipe.js';

// A CLI run parses each schema once: zod's JIT (it compiles a parser per object schema with new Function on
// first use) costs ~20 ms of a cold start and never pays off here. Library users keep the JIT.
zodConfig({ jitless: true });

exitQuietlyOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
