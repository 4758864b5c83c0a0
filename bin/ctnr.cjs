#!/bin/sh
":" //; exec node -- "$0" "$@"
// ↑ Run as a program (the npm bin link, `npx ctnr`, `./bin/ctnr.cjs`), this file is a shell script that starts
// node with `--` before the script path: Node 20 otherwise reads `--env-file FILE` anywhere on its command line,
// even after the script, and loads FILE itself or exits 9 (`node: FILE: not found`) before ctnr sees its own
// `--env-file` (nodejs/node#54232). To the shell, `":"` is the builtin `:` (nothing is looked up or forked); to
// node, the line is a string and a comment. Started as `node bin/ctnr.cjs …`, node has already read the arguments
// by the time this file runs: use `node -- bin/ctnr.cjs …` there.
// A CommonJS file, so node does not start its ES module loader (some 10 ms of every run); bin/ctnr.mjs is the
// same command as an ES module. The CLI runs from the bundle `npm install` builds; see scripts/bundle-cli.mjs.
require('../dist/cli.cjs');
