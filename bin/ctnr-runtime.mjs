#!/bin/sh
":" //; ctnr_self=$0; [ -L "$0" ] && ctnr_self=$(readlink -f -- "$0"); . "${ctnr_self%/*}/ctnr-runtime.sh"; exit 127
// ↑ Run as a program, this file is a shell script: it sources bin/ctnr-runtime.sh, which execs the real runtime
// (runc, crun), itself or after node has run the pipeline for `create`/`run` (docs/runtime.md). To the shell, `":"`
// is the builtin `:` (no command is looked up or forked: `//` alone was a failed exec of the root directory on
// every call); to node, the line above is a string and a comment, and this is the module that runs the pipeline
// (dist/ctnr-runtime.mjs, built by scripts/bundle-cli.mjs); started as `node bin/ctnr-runtime.mjs …` it runs the
// runtime as a child instead.
await import('../dist/ctnr-runtime.mjs');
