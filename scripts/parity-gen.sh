#!/usr/bin/env bash
# Regenerate the parity fixtures (test/fixtures/parity/{podman,docker}/*.json, versions.json): podman and dockerd
# from Debian generate the config.json of every service in test/fixtures/parity/compose.yaml
# (scripts/parity/generate.mjs). Root only. Installs what it needs, and holds the e2e lock while engines run.
#
#   bash scripts/parity-gen.sh                     # both engines, every case
#   bash scripts/parity-gen.sh --engine podman     # one engine
#   bash scripts/parity-gen.sh plain init          # some cases (other fixtures stay)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then echo "parity-gen: run as root (dockerd and rootful podman)" >&2; exit 1; fi
PACKAGES=(podman catatonit crun docker.io containerd runc tini busybox-static iproute2)
missing=()
for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  # The script starts a dockerd of its own (own data root, socket, no iptables); a packaged docker.service that
  # the install may start is not used.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
exec flock /tmp/ctnr-e2e.lock node scripts/parity/generate.mjs "$@"
