#!/usr/bin/env bash
# Builds the image of the Qinling server itself, without any registry: a Debian bookworm root filesystem
# made by debootstrap (minbase + CA certificates, for TLS to S3, Keystone and the Kubernetes API) with the
# release `qinling` binary, imported into Podman's image store. Usage: deploy/build-image.sh [tag]
# (default localhost/qinling/server:latest); then `podman push <tag> <registry>/qinling/server:<version>`
# and name that image in deploy/kubernetes/qinling.yaml. Needs root, podman and debootstrap.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
tag=${1:-localhost/qinling/server:latest}
cache=${QINLING_ROOTFS_CACHE:-$root/target/runtimes}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs=$cache/server-bookworm

(cd "$root" && cargo build --release --quiet -p qinling-cli --bin qinling)

if [ ! -f "$rootfs/.complete" ]; then
    rm -rf "$rootfs" "$rootfs.partial"
    mkdir -p "$cache"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs.partial" "$mirror" \
        >"$cache/debootstrap-server.log" 2>&1 || { tail -20 "$cache/debootstrap-server.log"; exit 1; }
    rm -rf "$rootfs.partial"/var/cache/apt/* "$rootfs.partial"/var/lib/apt/lists/* \
        "$rootfs.partial"/usr/share/doc "$rootfs.partial"/usr/share/man "$rootfs.partial"/usr/share/locale
    touch "$rootfs.partial/.complete"
    mv "$rootfs.partial" "$rootfs"
fi

# Stripped: the release profile keeps debug info for profiling, which the image does not need.
install -s -m 0755 "$root/target/release/qinling" "$rootfs/usr/local/bin/qinling"
mkdir -p "$rootfs/var/lib/qinling"
chown 65534:65534 "$rootfs/var/lib/qinling"
tar -C "$rootfs" --exclude=./.complete -c . | podman import --quiet \
    --change 'ENTRYPOINT ["/usr/local/bin/qinling"]' \
    --change 'CMD ["server"]' \
    --change 'ENV QINLING_LISTEN=0.0.0.0:7070' \
    --change 'ENV QINLING_DATA_DIR=/var/lib/qinling' \
    --change 'EXPOSE 7070' \
    --change 'USER 65534:65534' \
    --change 'WORKDIR /var/lib/qinling' \
    - "$tag" >/dev/null
echo "built $tag"
