# Sourced by bin/ctnr-runtime.mjs, which sets ctnr_self to its own path (links resolved); POSIX sh (dash).
#
# ctnr-runtime speaks runc's command line and always ends in `exec` of the real runtime with the original
# arguments, so the runtime keeps this process's pid, every inherited file descriptor, its signals and its exit
# status. Without a runtime config that is all: no node start, the real runtime at once. With one, node runs
# first (the pipeline for create/run, else reading which runtime the config names) and writes the runtime to
# exec on fd 9; when node fails (a refused container, a broken config) its exit status is ours.
# The config lookup mirrors src/runtime-shim/locate.ts: keep the two in step. Every command an engine runs passes
# through here, so it forks nothing it can do with builtins (`test -ef`, `read`).

# The effective uid, without forking id(1).
ctnr_uid=
while read -r ctnr_key ctnr_real ctnr_effective ctnr_rest; do
  if [ "$ctnr_key" = Uid: ]; then
    ctnr_uid=$ctnr_effective
    break
  fi
done < /proc/self/status

# Is there a runtime config? ctnr_config := its path. (Whether it is the only one and loads is node's business.)
ctnr_has_config() {
  if [ -n "${CTNR_RUNTIME_CONFIG:-}" ]; then
    ctnr_config=$CTNR_RUNTIME_CONFIG
    return 0
  fi
  if [ "$ctnr_uid" = 0 ] && [ -z "${_CONTAINERS_ROOTLESS_UID:-}" ]; then
    ctnr_dir=/etc/ctnr
  else
    ctnr_dir="${XDG_CONFIG_HOME:-${HOME:-}/.config}/ctnr"
  fi
  for ctnr_ext in json yaml yml mjs js ts; do
    if [ -e "$ctnr_dir/runtime.config.$ctnr_ext" ]; then
      ctnr_config="$ctnr_dir/runtime.config.$ctnr_ext"
      return 0
    fi
  done
  return 1
}

# ctnr_found := the first executable $1 on PATH, then in the system directories (engines start runtimes with a
# short PATH, and Debian's runc is in /usr/sbin).
ctnr_which() {
  ctnr_ifs=$IFS
  IFS=:
  for ctnr_d in $PATH /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    if [ -n "$ctnr_d" ] && [ -f "$ctnr_d/$1" ] && [ -x "$ctnr_d/$1" ]; then
      IFS=$ctnr_ifs
      ctnr_found="$ctnr_d/$1"
      return 0
    fi
  done
  IFS=$ctnr_ifs
  return 1
}

if ! ctnr_has_config; then
  for ctnr_name in runc crun; do
    ctnr_which "$ctnr_name" || continue
    [ -n "${CTNR_RUNTIME_DEBUG:-}" ] && echo "ctnr-runtime: no config: exec $ctnr_found" >&2
    if [ "$ctnr_found" -ef "$ctnr_self" ]; then
      echo "ctnr: $ctnr_found is ctnr-runtime itself: install the real runtime (runc or crun) there" >&2
      exit 1
    fi
    exec "$ctnr_found" "$@"
  done
  echo "ctnr: no OCI runtime found: install runc or crun" >&2
  exit 1
fi

# The subcommand, past the global options (those taking a value as in src/runtime-shim/args.ts: keep in step).
ctnr_cmd=
ctnr_skip=
for ctnr_arg in "$@"; do
  if [ -n "$ctnr_skip" ]; then
    ctnr_skip=
    continue
  fi
  case $ctnr_arg in
    --log | -log | --log-format | -log-format | --log-level | -log-level | --root | -root | --criu | -criu | \
      --rootless | -rootless | --cgroup-manager | -cgroup-manager) ctnr_skip=1 ;;
    -*) ;;
    *)
      ctnr_cmd=$ctnr_arg
      break
      ;;
  esac
done

# Commands ctnr-runtime only hands over need nothing of the config but its runtime, which node remembers in a
# cache file (src/runtime-shim/handover-cache.ts): while that file is ours, newer than the config and names it,
# exec the runtime it names without starting node. Never for create, run or exec (node judges an exec's process),
# nor for a command this does not know.
if [ -n "${XDG_RUNTIME_DIR:-}" ]; then
  ctnr_cache=$XDG_RUNTIME_DIR/ctnr/runtime-handover
elif [ "$ctnr_uid" = 0 ] && [ -z "${_CONTAINERS_ROOTLESS_UID:-}" ]; then
  ctnr_cache=/run/ctnr/runtime-handover
else
  ctnr_cache=
fi
case $ctnr_cmd in
  state | start | kill | delete | ps | events | pause | resume | update | features | list | checkpoint | restore | spec | '')
    if [ -n "$ctnr_cache" ] && [ -f "$ctnr_cache" ] && [ -O "$ctnr_cache" ] && [ "$ctnr_cache" -nt "$ctnr_config" ] \
      && { read -r ctnr_cached_config && read -r ctnr_cached_runtime; } < "$ctnr_cache" \
      && [ "$ctnr_cached_config" = "$ctnr_config" ] && [ -x "$ctnr_cached_runtime" ]; then
      [ -n "${CTNR_RUNTIME_DEBUG:-}" ] && echo "ctnr-runtime: config $ctnr_config: exec $ctnr_cached_runtime (remembered)" >&2
      exec "$ctnr_cached_runtime" "$@"
    fi
    ;;
esac

ctnr_node=${CTNR_NODE:-}
if [ -z "$ctnr_node" ] && ctnr_which node; then ctnr_node=$ctnr_found; fi
if [ -z "$ctnr_node" ]; then
  echo "ctnr: node not found on PATH (set CTNR_NODE to its path)" >&2
  exit 1
fi
# A JSON, YAML or .mjs config can start from the startup snapshot `npm run build` made (src/runtime-shim/snapshot.ts),
# if this node is the file that built it and has not changed since (an upgrade replaces or touches it). Beside the
# snapshot: that node's path, its version, and the V8 flags the snapshot was built with (node must get the same
# ones, or V8 refuses the snapshot; scripts/bundle-cli.mjs writes them; none in a file without that line).
ctnr_blob="${ctnr_self%/*}/../dist/ctnr-runtime.blob"
ctnr_snapshot=
ctnr_blob_flags=
case $ctnr_config in
  *.json | *.yaml | *.yml | *.mjs)
    if [ -f "$ctnr_blob" ] && [ -f "$ctnr_blob.node" ] \
      && { read -r ctnr_built_node && { read -r ctnr_built_version; read -r ctnr_blob_flags; :; }; } < "$ctnr_blob.node" \
      && [ "$ctnr_node" -ef "$ctnr_built_node" ] && [ "$ctnr_blob" -nt "$ctnr_built_node" ]; then
      ctnr_snapshot=1
    fi
    ;;
esac
[ -n "${CTNR_RUNTIME_DEBUG:-}" ] && echo "ctnr-runtime: config $ctnr_config: node${ctnr_snapshot:+ from the startup snapshot}" >&2
# node's stdout goes to our stderr; fd 9 carries the runtime's path back.
if [ -n "$ctnr_snapshot" ]; then
  # shellcheck disable=SC2086 # the flags are words (from our own build)
  ctnr_runtime=$(
    # For create and run, node first reads the 3.5 MB snapshot into memory and copies it before V8 starts: page
    # faults on fresh memory were a large part of its CPU. glibc's malloc takes those buffers from its heap instead
    # of a new mapping each (mmap_threshold: 32 MB, the most it accepts), so a freed one is reused, and asks for
    # transparent huge pages for it (hugetlb=1, where the kernel gives them): 4900 page faults become 2900, some
    # 5-7 ms of CPU here. Only in this subshell, never over the caller's own tunables (set even empty, they turn
    # this off: on a fragmented host a huge-page fault may wait for compaction); node takes both variables
    # out of its environment before anything else runs (src/runtime-shim/snapshot.ts), so the pipeline sees the
    # environment as given.
    case $ctnr_cmd in
      create | run)
        if [ -z "${GLIBC_TUNABLES+set}" ]; then
          GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432
          CTNR_RUNTIME_TUNABLES=1
          export GLIBC_TUNABLES CTNR_RUNTIME_TUNABLES
        fi
        ;;
    esac
    CTNR_RUNTIME_HANDOVER_FD=9 CTNR_RUNTIME_SELF="$ctnr_self" exec "$ctnr_node" $ctnr_blob_flags --snapshot-blob "$ctnr_blob" -- "$@" 9>&1 1>&2
  ) || exit $?
else
  ctnr_runtime=$(CTNR_RUNTIME_HANDOVER_FD=9 CTNR_RUNTIME_SELF="$ctnr_self" "$ctnr_node" -- "$ctnr_self" "$@" 9>&1 1>&2) || exit $?
fi
if [ -z "$ctnr_runtime" ]; then
  echo "ctnr: internal error: no runtime to hand over to" >&2
  exit 1
fi
exec "$ctnr_runtime" "$@"
