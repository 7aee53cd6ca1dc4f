#!/usr/bin/env bash
# Builds the Docker-in-Docker node image of the local driver,
# magnum/swarm-node:<tag>, in the engine at $DOCKER_HOST (by default the
# private engine of tools/docker-engine.sh), without any registry: a Debian
# root file system made by debootstrap from the machine's configured mirror,
# imported with "docker import". Does nothing when the image is already there.
#
#   tools/build-node-image.sh [--force] [--tag TAG]
#
# Settings (environment):
#   MAGNUM_NODE_IMAGE_TAG  tag (default bookworm-1); --tag overrides it
#   MAGNUM_DEBIAN_MIRROR   Debian mirror (default: the one apt uses here)
#   MAGNUM_DEBIAN_SUITE    Debian suite (default bookworm)
#   MAGNUM_BUILD_DIR       where the root file system is made (default /var/tmp)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPO=magnum/swarm-node
TAG=${MAGNUM_NODE_IMAGE_TAG:-bookworm-1}
SUITE=${MAGNUM_DEBIAN_SUITE:-bookworm}
BUILD_DIR=${MAGNUM_BUILD_DIR:-/var/tmp}
PACKAGES=docker.io,iproute2,iptables,ca-certificates,haproxy,procps,curl
LABEL_PREFIX=org.openstack.magnum
FORCE=

usage() { echo "usage: $0 [--force] [--tag TAG]" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --force) FORCE=1 ;;
        --tag) [ $# -ge 2 ] || usage; TAG=$2; shift ;;
        --tag=*) TAG=${1#--tag=} ;;
        -h|--help) usage ;;
        *) usage ;;
    esac
    shift
done
IMAGE="$REPO:$TAG"

if [ -z "${DOCKER_HOST:-}" ]; then
    eval "$("$MAGNUM_ROOT/tools/docker-engine.sh" env)"
fi
command -v docker >/dev/null || die "no docker client; run tools/docker-engine.sh start"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
    die "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST; run tools/docker-engine.sh start"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

report() {
    local id version
    id=$(docker image inspect --format '{{.Id}}' "$IMAGE")
    version=$(docker image inspect \
        --format "{{index .Config.Labels \"$LABEL_PREFIX.docker-version\"}}" "$IMAGE")
    echo "image $IMAGE id $id"
    echo "docker inside $version"
}

if [ -z "$FORCE" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "$IMAGE is already in the engine; --force rebuilds it"
    report
    exit 0
fi

[ "$(id -u)" = 0 ] || command -v sudo >/dev/null || die "debootstrap needs root"

# The Debian mirror apt uses here: the first enabled "deb" source of $SUITE,
# from one-line *.list files or deb822 *.sources files.
debian_mirror() {
    if [ -n "${MAGNUM_DEBIAN_MIRROR:-}" ]; then
        echo "$MAGNUM_DEBIAN_MIRROR"
        return
    fi
    local files=() f uri
    [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    for f in "${files[@]}"; do
        case "$f" in
            *.sources)
                uri=$(awk -v suite="$SUITE" '
                    function flush() {
                        if (types ~ /(^| )deb( |$)/ && enabled != "no" &&
                            (" " suites " ") ~ (" " suite " ") && uris != "") {
                            split(uris, u, " "); print u[1]; found = 1; exit
                        }
                        types = suites = uris = enabled = ""
                    }
                    /^[ \t]*#/ { next }
                    /^[ \t]*$/ { flush(); next }
                    { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
                      if (key == "types") types = $0
                      else if (key == "suites") suites = $0
                      else if (key == "uris") uris = $0
                      else if (key == "enabled") enabled = tolower($0) }
                    END { if (!found) flush() }' "$f")
                ;;
            *)
                uri=$(awk -v suite="$SUITE" '
                    $1 != "deb" { next }
                    { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                      if ($(i + 1) == suite) { print $i; exit } }' "$f")
                ;;
        esac
        if [ -n "$uri" ]; then
            echo "$uri"
            return
        fi
    done
    echo http://deb.debian.org/debian
}

ROOTFS=
cleanup() {
    [ -n "$ROOTFS" ] && [ -d "$ROOTFS" ] || return 0
    # debootstrap mounts /proc and /sys (and on failure may leave them):
    # unmount everything below the root file system before removing it.
    local m
    awk -v r="$ROOTFS/" 'index($2 "/", r) == 1 {print $2}' /proc/mounts | sort -r |
        while read -r m; do as_root umount -l "$m" || true; done
    as_root rm -rf --one-file-system "$ROOTFS"
}

# Two builds at once (parallel test workers) would race: the second waits and
# then finds the image.
LOCK="$BUILD_DIR/magnum-node-image.lock"
exec 9>"$LOCK"
flock 9
if [ -z "$FORCE" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "$IMAGE was built while waiting for the lock"
    report
    exit 0
fi

command -v debootstrap >/dev/null || apt_install debootstrap

started=$(now)
MIRROR=$(debian_mirror)
ROOTFS=$(mktemp -d "$BUILD_DIR/magnum-node-rootfs.XXXXXX")
trap cleanup EXIT
DEBOOTSTRAP_LOG="$BUILD_DIR/magnum-node-debootstrap.log"
log "debootstrap $SUITE from $MIRROR into $ROOTFS (log $DEBOOTSTRAP_LOG)"
as_root debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" \
    >"$DEBOOTSTRAP_LOG" 2>&1 || {
    tail -n 30 "$DEBOOTSTRAP_LOG" >&2
    [ -f "$ROOTFS/debootstrap/debootstrap.log" ] && tail -n 30 "$ROOTFS/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
}
debootstrap_time=$(since "$started")

pkg_version() {
    dpkg-query --admindir="$ROOTFS/var/lib/dpkg" -W -f '${Version}' "$1" 2>/dev/null || echo unknown
}
DOCKER_PKG_VERSION=$(pkg_version docker.io)
CONTAINERD_PKG_VERSION=$(pkg_version containerd)
# "20.10.24+dfsg1-1+deb12u1+b6" -> "20.10.24": what "docker version" reports.
DOCKER_VERSION=${DOCKER_PKG_VERSION#*:}
DOCKER_VERSION=${DOCKER_VERSION%%[+~-]*}

# Package caches and indexes are of no use in the image.
as_root rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin \
    "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log
# Point apt at the mirror the image was made from, not the build machine's
# policy; nodes have no network to reach it, but the sources line is honest.
echo "deb $MIRROR $SUITE main" | as_root tee "$ROOTFS/etc/apt/sources.list" >/dev/null

import_started=$(now)
old_id=$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
log "importing $IMAGE (docker $DOCKER_VERSION inside)"
as_root tar --numeric-owner --xattrs -C "$ROOTFS" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'WORKDIR /' \
    --change 'CMD ["dockerd", "-H", "unix:///var/run/docker.sock"]' \
    --change "LABEL $LABEL_PREFIX.node-image=swarm" \
    --change "LABEL $LABEL_PREFIX.docker-version=$DOCKER_VERSION" \
    --change "LABEL $LABEL_PREFIX.docker-package-version=$DOCKER_PKG_VERSION" \
    --change "LABEL $LABEL_PREFIX.containerd-package-version=$CONTAINERD_PKG_VERSION" \
    --change "LABEL $LABEL_PREFIX.debian-suite=$SUITE" \
    --message "debootstrap --variant=minbase --include=$PACKAGES $SUITE $MIRROR" \
    - "$IMAGE" >/dev/null
import_time=$(since "$import_started")
cleanup
ROOTFS=

new_id=$(docker image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    # The image replaced by --force; kept when containers still use it.
    docker image rm "$old_id" >/dev/null 2>&1 || log "kept the previous image $old_id (in use)"
fi

# The docker of the image answers for itself.
inside=$(docker run --rm --network none "$IMAGE" dockerd --version) ||
    die "dockerd does not run in $IMAGE"
size=$(docker image inspect --format '{{.Size}}' "$IMAGE")
log "built $IMAGE in $(since "$started")s (debootstrap ${debootstrap_time}s," \
    "import ${import_time}s), $((size / 1024 / 1024)) MB; $inside"
report
