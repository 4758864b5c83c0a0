#!/usr/bin/env node
// The CLI runs from the bundle `npm install` builds (dist/cli.mjs); see scripts/bundle-cli.mjs.
await import('../dist/cli.mjs');
