import { config as zodConfig } from 'zod';
import { main } from './cli/main.js';
import { exitQuietlyOnClosedPipe } from './cli/pipe.js';
import { provideHostModules } from './config/load.js';

// A CLI run parses each schema once: zod's JIT (it compiles a parser per object schema with new Function on
// first use) costs ~20 ms of a cold start and never pays off here. Library users keep the JIT.
zodConfig({ jitless: true });

// `import … from 'ctnr'` in a config or plugin gets this very copy, loaded only when a code config is found.
provideHostModules(async () => {
  const [api, kit] = await Promise.all([import('./index.js'), import('./plugin-kit/index.js')]);
  return { ctnr: api, 'ctnr/plugin': kit };
});

exitQuietlyOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
