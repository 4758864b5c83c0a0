#!/bin/sh
":" //; [ -z "${GLIBC_TUNABLES+set}" ] && export GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864 CTNR_TUNABLES=1; exec node -- "$0" "$@"
// ↑ Run as a program (the npm bin link, `npx ctnr`, `./bin/ctnr.cjs`), this file is a shell script that starts
// node with `--` before the script path: Node 20 otherwise reads `--env-file FILE` anywhere on its command line,
// even after the script, and loads FILE itself or exits 9 (`node: FILE: not found`) before ctnr sees its own
// `--env-file` (nodejs/node#54232). To the shell, `":"` is the builtin `:` (nothing is looked up or forked); to
// node, the line is a string and a comment. Started as `node bin/ctnr.cjs …`, node has already read the arguments
// by the time this file runs: use `node -- bin/ctnr.cjs …` there.
// Before node starts, glibc's malloc is told to take large buffers (the CLI's 1.2 MB bundle and its code cache, read
// at every start) from its heap, to ask for transparent huge pages there, and to keep up to 64 MB of freed heap for
// reuse instead of handing it back at once: on a VM where touching fresh memory is slow (13 µs a 4 KiB page here),
// `ctnr spec` took some 11 ms less (the first two alone saved nothing; without the third, `spec --all` over 1,000
// services took 10% longer). Never over the caller's own tunables (set, even empty, they turn this off); src/cli.ts
// takes both variables out of the environment first thing, so what ctnr reads and starts sees the environment as given.
// A CommonJS file, so node does not start its ES module loader (some 10 ms of every run); bin/ctnr.mjs is the
// same command as an ES module. The CLI runs from the bundle `npm install` builds; see scripts/bundle-cli.mjs.
require('../dist/cli.cjs');
