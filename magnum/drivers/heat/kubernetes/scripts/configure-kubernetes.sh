#!/bin/bash
# Boot-time set-up of a Kubernetes node built by Magnum's Heat drivers
# (k8s_vm, k8s_bm), on Fedora CoreOS (run by a systemd unit Ignition
# writes) and on Ubuntu (run by cloud-init's runcmd).
#
# Everything node-specific comes from /etc/magnum/kubernetes.env, written
# beside this script by the boot configuration with the node's
# certificates, the kubelet's configuration and, on masters, the control
# plane's static pod manifests. The script installs what the image lacks
# (containerd on Ubuntu, the Kubernetes and CNI binaries), mounts the
# Cinder volumes it is given, starts containerd and the kubelet (which
# starts the control plane's static pods on masters), and on the first
# master applies the cluster's add-ons. It works with systemd (a real node) and
# without it (a container standing in for a server in the test cloud).
set -euo pipefail

ENV_FILE=${MAGNUM_KUBERNETES_ENV:-/etc/magnum/kubernetes.env}
# shellcheck source=/dev/null
. "$ENV_FILE"

: "${ROLE:?}" "${NODE_NAME:?}" "${NODE_IP:?}" "${KUBE_TAG:?}"
: "${KUBE_RELEASE_URL:?}" "${CNI_PLUGINS_URL:?}" "${FIRST_MASTER:?}"
BIN=/usr/local/bin

log() { printf '%s magnum: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

have_systemd() { [ -d /run/systemd/system ]; }

# use_proxies: the cluster template's proxies (PROXY_ENV, the file
# containerd's unit reads too) for everything this script downloads and
# for containerd when it is started from here (no systemd).
use_proxies() {
    [ -n "${PROXY_ENV:-}" ] || return 0
    set -a
    # shellcheck source=/dev/null
    . "$PROXY_ENV"
    set +a
    log "downloads go through the proxies of $PROXY_ENV"
}

arch() {
    case "$(uname -m)" in
        x86_64) echo amd64 ;;
        aarch64) echo arm64 ;;
        *) uname -m ;;
    esac
}

fetch() {  # fetch URL DEST: download with retries, fail loudly
    local url=$1 dest=$2
    log "downloading $url"
    curl --fail --silent --show-error --location --retry 5 \
        --retry-delay 3 --connect-timeout 20 -o "$dest.part" "$url"
    mv "$dest.part" "$dest"
}

# mount_volume VOLUME_ID MOUNTPOINT: format (once) and mount the Cinder
# volume whose id is given; nothing when the id is empty.
mount_volume() {
    local id=$1 mountpoint=$2 device="" i
    [ -n "$id" ] || return 0
    for i in $(seq 1 60); do
        for candidate in "/dev/disk/by-id/virtio-${id:0:20}" \
                "/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_${id:0:20}"; do
            if [ -b "$candidate" ]; then device=$candidate; fi
        done
        [ -n "$device" ] && break
        log "waiting for volume $id ($i)"
        sleep 2
    done
    [ -n "$device" ] || { log "volume $id never appeared"; return 1; }
    if ! blkid "$device" >/dev/null 2>&1; then
        mkfs.ext4 -q "$device"
    fi
    mkdir -p "$mountpoint"
    mount "$device" "$mountpoint"
    echo "$device $mountpoint ext4 defaults,nofail 0 2" >> /etc/fstab
}

install_runtime() {
    if ! command -v containerd >/dev/null 2>&1; then
        log "installing containerd"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q containerd
    fi
    mkdir -p /etc/containerd
    containerd config default |
        sed 's/SystemdCgroup = false/SystemdCgroup = true/' \
        > /etc/containerd/config.toml
}

install_binaries() {
    local a binary
    a=$(arch)
    mkdir -p "$BIN" /opt/cni/bin
    for binary in kubelet kubectl; do
        fetch "$KUBE_RELEASE_URL/$KUBE_TAG/bin/linux/$a/$binary" "$BIN/$binary"
        chmod 0755 "$BIN/$binary"
    done
    fetch "${CNI_PLUGINS_URL//@ARCH@/$a}" /tmp/cni-plugins.tgz
    tar -xzf /tmp/cni-plugins.tgz -C /opt/cni/bin
    rm -f /tmp/cni-plugins.tgz
}

prepare_kernel() {
    # Modules may be built in (or, in a container, the host's business).
    if command -v modprobe >/dev/null 2>&1; then
        modprobe overlay || true
        modprobe br_netfilter || true
    fi
    # Pods' traffic is routed: forwarding must be on.
    if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ]; then
        sysctl -q -w net.ipv4.ip_forward=1
    fi
    if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
        sysctl -q -w net.bridge.bridge-nf-call-iptables=1 || true
    fi
}

start() {  # start NAME COMMAND...: a service, with or without systemd
    local name=$1
    shift
    if have_systemd; then
        systemctl daemon-reload
        systemctl enable "$name"
        # Restarted, not just started: Ubuntu's package starts containerd
        # before its configuration and proxy drop-in are in place.
        systemctl restart "$name"
    else
        nohup "$@" >"/var/log/$name.log" 2>&1 &
    fi
}

apply_addons() {
    local kubeconfig=/etc/kubernetes/addons.conf i manifest
    for i in $(seq 1 150); do
        if "$BIN/kubectl" --kubeconfig "$kubeconfig" get --raw /healthz \
                >/dev/null 2>&1; then
            break
        fi
        [ "$i" = 150 ] && { log "the API server never answered"; return 1; }
        sleep 4
    done
    for manifest in /etc/magnum/addons/*.yaml; do
        [ -e "$manifest" ] || continue
        log "applying $manifest"
        "$BIN/kubectl" --kubeconfig "$kubeconfig" apply -f "$manifest"
    done
    for manifest in ${ADDON_URLS//,/ }; do
        log "applying $manifest"
        "$BIN/kubectl" --kubeconfig "$kubeconfig" apply -f "$manifest"
    done
}

main() {
    log "configuring $ROLE $NODE_NAME at $NODE_IP, Kubernetes $KUBE_TAG"
    use_proxies
    mount_volume "${RUNTIME_VOLUME:-}" /var/lib/containerd
    mount_volume "${ETCD_VOLUME:-}" /var/lib/etcd
    prepare_kernel
    install_runtime
    install_binaries
    start containerd containerd
    # shellcheck source=/dev/null
    . /etc/kubernetes/kubelet.env
    # KUBELET_ARGS is split on purpose: it holds several flags.
    # shellcheck disable=SC2086
    start kubelet "$BIN/kubelet" $KUBELET_ARGS
    if [ "$FIRST_MASTER" = true ]; then
        apply_addons
    fi
    log "done"
}

main "$@"
