#!/bin/sh
":" //; [ -z "${GLIBC_TUNABLES+set}" ] && export GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864 CTNR_TUNABLES=1; exec node -- "$0" "$@"
// ↑ See bin/ctnr.cjs, the command's own entry, of which this is the ES module twin (kept for scripts and hooks that
// name it): the same CLI, some 10 ms slower to start, as node starts its ES module loader for it.
import '../dist/cli.cjs';
