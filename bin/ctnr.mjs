#!/bin/sh
// 2>/dev/null; exec node -- "$0" "$@"
// ↑ Run as a program (the npm bin link, `npx ctnr`, `./bin/ctnr.mjs`), this file is a shell script that starts
// node with `--` before the script path: Node 20 otherwise reads `--env-file FILE` anywhere on its command line,
// even after the script, and loads FILE itself or exits 9 (`node: FILE: not found`) before ctnr sees its own
// `--env-file` (nodejs/node#54232). To node, the line above is a comment. Started as `node bin/ctnr.mjs …`, node
// has already read the arguments by the time this file runs: use `node -- bin/ctnr.mjs …` there.
// The CLI runs from the bundle `npm install` builds (dist/cli.mjs); see scripts/bundle-cli.mjs.
await import('../dist/cli.mjs');
