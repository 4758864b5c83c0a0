#!/usr/bin/env bash
# System packages the e2e tests and `ctnr run` use: OCI runtimes, a static busybox for test root filesystems,
# a static init for `init: true`, CNI plugins, iptables (portmap), uidmap and slirp4netns (rootless); for the image
# tests a local registry (docker-registry), skopeo, umoci, htpasswd (apache2-utils), zstd and openssl; for the
# ctnr-runtime tests the engines that run it: podman (with conmon, catatonit and containers-common's default
# configuration) and containerd (with ctr and its runc shim).
set -euo pipefail
PACKAGES=(runc crun busybox-static tini containernetworking-plugins iptables iproute2 uidmap slirp4netns jq
  docker-registry skopeo umoci apache2-utils zstd openssl
  podman conmon catatonit golang-github-containers-common containerd)
missing=()
for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
