#!/bin/sh
":" //; exec node -- "$0" "$@"
// ↑ See bin/ctnr.cjs, the command's own entry, of which this is the ES module twin (kept for scripts and hooks that
// name it): the same CLI, some 10 ms slower to start, as node starts its ES module loader for it.
import '../dist/cli.cjs';
