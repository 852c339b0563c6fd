#!/usr/bin/env bash
# Builds Qinling's python3 runtime image without any registry: a Debian bookworm root filesystem made
# by debootstrap (from the Debian mirror), with python3, the worker and the Python SDK's calling
# convention, imported into Podman's image store. Usage: runtimes/python3/build.sh [tag]
# (default localhost/qinling/python3:latest). The root filesystem is cached under target/runtimes/;
# rebuilding after a change to the worker takes seconds. Push the result to your registry with
# `podman push <tag> <registry>/qinling/python3:<version>` (see runtimes/README.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tag=${1:-localhost/qinling/python3:latest}
cache=${QINLING_ROOTFS_CACHE:-$root/target/runtimes}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs=$cache/python3-bookworm

if [ ! -f "$rootfs/.complete" ]; then
    rm -rf "$rootfs" "$rootfs.partial"
    mkdir -p "$cache"
    debootstrap --variant=minbase --include=python3 bookworm "$rootfs.partial" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || { tail -20 "$cache/debootstrap.log"; exit 1; }
    rm -rf "$rootfs.partial"/var/cache/apt/* "$rootfs.partial"/var/lib/apt/lists/* \
        "$rootfs.partial"/usr/share/doc "$rootfs.partial"/usr/share/man "$rootfs.partial"/usr/share/locale
    touch "$rootfs.partial/.complete"
    mv "$rootfs.partial" "$rootfs"
fi

worker_files=("$here/worker.py" "$root/sdk/python/qinling_sdk/__init__.py" "$root/sdk/python/qinling_sdk/_handler.py")
digest=$(cat "${worker_files[@]}" | sha256sum | cut -c1-16)
if [ "$(podman image inspect --format '{{index .Labels "qinling.worker"}}' "$tag" 2>/dev/null)" = "$digest" ]; then
    echo "$tag is up to date ($digest)"
    exit 0
fi

previous=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
mkdir -p "$rootfs/opt/qinling/qinling_sdk"
install -m 0644 "$here/worker.py" "$rootfs/opt/qinling/worker.py"
install -m 0644 "$root/sdk/python/qinling_sdk/__init__.py" "$root/sdk/python/qinling_sdk/_handler.py" \
    "$rootfs/opt/qinling/qinling_sdk/"
tar -C "$rootfs" --exclude=./.complete -c . | podman import --quiet \
    --change 'CMD ["python3", "/opt/qinling/worker.py"]' \
    --change 'ENV PYTHONPATH=/opt/qinling' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change 'EXPOSE 9090' \
    --change 'USER 65534:65534' \
    --change 'WORKDIR /tmp' \
    --change "LABEL qinling.worker=$digest" \
    --change "LABEL qinling.runtime=python3" \
    - "$tag" >/dev/null
# The image this tag named before is no longer needed, unless containers still run it.
[ -n "$previous" ] && podman rmi "$previous" >/dev/null 2>&1 || true
echo "built $tag ($digest)"
