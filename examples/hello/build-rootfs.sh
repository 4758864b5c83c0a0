#!/bin/sh
# Build a tiny root filesystem for the hello example from the static busybox (apt-get install busybox-static):
# /bin/busybox with its applet links, /etc/passwd and /etc/group with an unprivileged user "app".
# Usage: examples/hello/build-rootfs.sh [DIR]   (default: rootfs/ next to this script)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rootfs=${1:-$here/rootfs}
busybox=$(command -v busybox || true)
for candidate in /bin/busybox /usr/bin/busybox; do
  [ -n "$busybox" ] || { [ -x "$candidate" ] && busybox=$candidate; }
done
if [ -z "$busybox" ]; then
  echo "build-rootfs.sh: busybox not found; install it with: apt-get install busybox-static" >&2
  exit 1
fi
# A dynamically linked busybox would need its libraries inside the rootfs.
if command -v file >/dev/null 2>&1 && ! file -L "$busybox" | grep -q 'statically linked'; then
  echo "build-rootfs.sh: $busybox is not statically linked; install busybox-static" >&2
  exit 1
fi

rm -rf "$rootfs"
mkdir -p "$rootfs"
for d in bin sbin usr/bin etc proc sys dev tmp root home/app run var/tmp; do mkdir -p "$rootfs/$d"; done
chmod 0755 "$rootfs"
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
cp "$busybox" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
app:x:1000:
nogroup:x:65534:
GROUP
chown 1000:1000 "$rootfs/home/app" 2>/dev/null || true
echo "$rootfs"
