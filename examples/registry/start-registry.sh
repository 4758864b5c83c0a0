#!/bin/sh
# Start a local registry (Debian's docker-registry) on 127.0.0.1:${PORT:-5000} and push a busybox-based image
# to it as 127.0.0.1:PORT/demo/hello:1, so `ctnr up`/`ctnr run` can pull a real image on a machine without
# internet. Needs: docker-registry, umoci, skopeo, busybox-static (scripts/install-system-deps.sh installs them).
# Stop it with: examples/registry/start-registry.sh stop
set -eu
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-5000}
state=${CTNR_EXAMPLE_REGISTRY:-/tmp/ctnr-example-registry}

if [ "${1:-}" = stop ]; then
  [ -f "$state/pid" ] && kill "$(cat "$state/pid")" 2>/dev/null || true
  rm -rf "$state"
  exit 0
fi

for tool in docker-registry umoci skopeo; do
  command -v "$tool" >/dev/null 2>&1 || { echo "start-registry.sh: $tool not found (bash scripts/install-system-deps.sh)" >&2; exit 1; }
done

# A registry of ours already answering: reuse it. Anything else on the port is an error, not something to kill.
if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
  echo "registry already running on 127.0.0.1:$port (pid $(cat "$state/pid"))"
else
  rm -rf "$state"
  mkdir -p "$state/storage"
  cat > "$state/config.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $state/storage
http:
  addr: 127.0.0.1:$port
YAML
  docker-registry serve "$state/config.yml" > "$state/registry.log" 2>&1 &
  echo $! > "$state/pid"
fi

# Wait until it answers /v2/.
i=0
until node -e "fetch('http://127.0.0.1:$port/v2/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 50 ]; then echo "start-registry.sh: the registry did not start (see $state/registry.log)" >&2; exit 1; fi
  sleep 0.2
done

# The image: the hello example's busybox rootfs as one layer, with a default command and user.
layout="$state/layout"
bundle="$state/unpacked"
rm -rf "$layout" "$bundle"
umoci init --layout "$layout"
umoci new --image "$layout:1"
umoci unpack --rootless --image "$layout:1" "$bundle" >/dev/null
sh "$here/../hello/build-rootfs.sh" "$bundle/rootfs" >/dev/null
umoci repack --image "$layout:1" "$bundle"
umoci config --image "$layout:1" \
  --config.user app --config.workingdir /home/app \
  --config.env GREETING="Hello from a pulled image" \
  --config.cmd /bin/sh --config.cmd -c --config.cmd 'echo "$GREETING: I am $(id -un) in $(pwd) on $(hostname)"'
skopeo copy --quiet --dest-tls-verify=false "oci:$layout:1" "docker://127.0.0.1:$port/demo/hello:1"
echo "pushed 127.0.0.1:$port/demo/hello:1 (stop the registry with: $0 stop)"
