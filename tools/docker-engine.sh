#!/usr/bin/env bash
# A private Docker engine for the local driver and its tests: its own
# socket, data root, exec root, pidfile, bridge, cgroup parent and daemon
# configuration, all under one state directory, so that a system dockerd (if
# any) is neither used nor disturbed.
#
#   tools/docker-engine.sh start    start it (or reuse the running one) and
#                                   print   export DOCKER_HOST=unix://.../docker.sock
#   tools/docker-engine.sh stop     stop it (and the containerd it started)
#   tools/docker-engine.sh status   say whether it runs; exit 0 if it answers
#   tools/docker-engine.sh env      print the export line
#
# Use it with:   eval "$(tools/docker-engine.sh start)"
#
# Settings (environment):
#   MAGNUM_DOCKER_STATE         state directory (default /var/tmp/magnum-docker)
#   MAGNUM_DOCKER_ADDRESS_POOL  pool for user-defined networks, in dockerd's
#                               syntax "base=CIDR,size=N"; by default the first
#                               of 172.29/16, 172.28/16, 172.27/16, 172.26/16
#                               that no route or address of this machine overlaps;
#                               chosen at the first start, kept in STATE/address-pool
#   MAGNUM_DOCKER_BRIDGE        name of the default bridge (default magnum-docker0)
#   MAGNUM_DOCKER_BRIDGE_CIDR   its address (default: .1/24 of the pool's first /24)
#   MAGNUM_DOCKER_START_TIMEOUT seconds to wait for "docker info" (default 60)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STATE=${MAGNUM_DOCKER_STATE:-/var/tmp/magnum-docker}
SOCK="$STATE/docker.sock"
PIDFILE="$STATE/docker.pid"
LOG="$STATE/dockerd.log"
DAEMON_JSON="$STATE/daemon.json"
POOL_FILE="$STATE/address-pool"
BRIDGE=${MAGNUM_DOCKER_BRIDGE:-magnum-docker0}
START_TIMEOUT=${MAGNUM_DOCKER_START_TIMEOUT:-60}
# Chosen to stay clear of the usual neighbours: 172.17/16 (a system docker0)
# and 172.18-172.25 (the first pools a system dockerd hands out), 172.24.4/24
# (DevStack's public network), 172.30/16 (OpenShift services), 172.31/16 (the
# AWS default VPC), 10/8 (tenant, flannel and service networks of clusters)
# and 192.168/16 (home and office LANs).
POOL_CANDIDATES=(172.29.0.0/16 172.28.0.0/16 172.27.0.0/16 172.26.0.0/16)

export DOCKER_HOST="unix://$SOCK"

ip2int() {
    local a b c d
    IFS=. read -r a b c d <<<"$1"
    echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# cidr_overlap A/N B/M: true when the two IPv4 networks share an address.
cidr_overlap() {
    local a=${1%/*} an=${1#*/} b=${2%/*} bn=${2#*/}
    local n=$((an < bn ? an : bn))
    local mask=$(((0xffffffff << (32 - n)) & 0xffffffff))
    (((($(ip2int "$a") ^ $(ip2int "$b")) & mask) == 0))
}

# The IPv4 networks this machine already reaches directly: routes (other than
# the default) and interface addresses, all as CIDRs.
local_networks() {
    {
        ip -4 route show table all 2>/dev/null | awk '$1 != "default" && $1 != "broadcast" &&
            $1 != "local" {print $1} $1 == "local" || $1 == "broadcast" {print $2}'
        ip -4 -o addr show 2>/dev/null | awk '{print $4}'
    } | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(/[0-9]+)?$' |
        sed -E 's#^([0-9.]+)$#\1/32#' | sort -u
}

# The networks that belong to our own bridge do not count as clashes when the
# engine is started again.
foreign_networks() {
    local own
    own=$(ip -4 -o addr show dev "$BRIDGE" 2>/dev/null | awk '{print $4}') || true
    local_networks | while read -r net; do
        if [ -n "$own" ] && cidr_overlap "$net" "$own"; then continue; fi
        echo "$net"
    done
}

# The pool is chosen once per state directory and kept in $POOL_FILE: the
# engine's networks (and their bridges, which outlive a stopped dockerd) keep
# their addresses from one start to the next.
choose_pool() {
    if [ -n "${MAGNUM_DOCKER_ADDRESS_POOL:-}" ]; then
        echo "$MAGNUM_DOCKER_ADDRESS_POOL"
        return
    fi
    if [ -s "$POOL_FILE" ]; then
        cat "$POOL_FILE"
        return
    fi
    local nets cand net clash
    nets=$(foreign_networks)
    for cand in "${POOL_CANDIDATES[@]}"; do
        clash=
        for net in $nets; do
            if cidr_overlap "$cand" "$net"; then clash=$net; break; fi
        done
        if [ -z "$clash" ]; then
            echo "base=$cand,size=24"
            return
        fi
        log "address pool $cand overlaps $clash on this machine; trying the next"
    done
    die "every candidate address pool clashes with a local network; set MAGNUM_DOCKER_ADDRESS_POOL"
}

# bridge_cidr POOL: .1/24 of the pool's first /24 (e.g. 172.29.0.1/24).
bridge_cidr() {
    if [ -n "${MAGNUM_DOCKER_BRIDGE_CIDR:-}" ]; then
        echo "$MAGNUM_DOCKER_BRIDGE_CIDR"
        return
    fi
    local base=${1#base=}
    base=${base%%,*}
    base=${base%/*}
    echo "${base%.*}.1/24"
}

# The docker client that talks to this engine: the first on PATH, else
# Debian's /usr/bin/docker (a newer client on PATH may be kept when it works).
docker_client() {
    local c
    for c in "$(command -v docker 2>/dev/null || true)" /usr/bin/docker; do
        if [ -z "$c" ] || [ ! -x "$c" ]; then continue; fi
        if "$c" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

daemon_pid() {
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # A recycled pid is not ours: it has to be a dockerd.
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
    echo "$pid"
}

answers() { docker_client >/dev/null; }

print_env() { echo "export DOCKER_HOST=unix://$SOCK"; }

ensure_dockerd_installed() {
    command -v dockerd >/dev/null && return 0
    # Installing docker.io must not start the system's docker service: a
    # policy-rc.d that refuses is put in place for the install when there is
    # none already.
    local made_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
        as_root chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    local rc=0
    (apt_install docker.io) || rc=$?
    if [ -n "$made_policy" ]; then as_root rm -f /usr/sbin/policy-rc.d; fi
    [ "$rc" = 0 ] || die "could not install docker.io"
    command -v dockerd >/dev/null || die "docker.io is installed but dockerd is not on PATH"
}

ensure_bridge() {
    local cidr=$1
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        as_root ip link add name "$BRIDGE" type bridge
    fi
    if ! ip -4 -o addr show dev "$BRIDGE" | grep -qw "$cidr"; then
        as_root ip addr flush dev "$BRIDGE"
        as_root ip addr add "$cidr" dev "$BRIDGE"
    fi
    as_root ip link set "$BRIDGE" up
}

wait_answers() {
    local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        answers && return 0
        kill -0 "$pid" 2>/dev/null || {
            log "dockerd (pid $pid) exited; the end of $LOG:"
            tail -n 40 "$LOG" >&2 || true
            die "the private Docker engine did not start"
        }
        sleep 0.25
    done
    log "dockerd (pid $pid) did not answer within ${START_TIMEOUT}s; the end of $LOG:"
    tail -n 40 "$LOG" >&2 || true
    die "the private Docker engine did not start"
}

# Serialises start and stop (parallel test workers start it together). The
# lock's descriptor is closed for dockerd, which would otherwise hold it.
lock_state() {
    mkdir -p "$STATE"
    exec 8>"$STATE/lock"
    flock 8
}

# A docker client on PATH that cannot talk to this engine is worth a word.
check_path_client() {
    local client on_path
    client=$(docker_client) || return 0
    on_path=$(command -v docker 2>/dev/null || true)
    if [ "$client" != "$on_path" ]; then
        log "the docker on PATH (${on_path:-none}) does not work with this engine; use $client"
    fi
}

start() {
    local pid
    [ "$(id -u)" = 0 ] || die "dockerd needs root (rootless engines are not supported here)"
    lock_state
    if pid=$(daemon_pid); then
        if ! answers; then
            log "dockerd (pid $pid) runs but does not answer yet; waiting"
            wait_answers "$pid"
        fi
        log "reusing the private Docker engine (pid $pid, client $(docker_client))"
        print_env
        return 0
    fi
    ensure_dockerd_installed
    rm -f "$PIDFILE" "$SOCK"
    local pool cidr
    pool=$(choose_pool)
    echo "$pool" >"$POOL_FILE"
    cidr=$(bridge_cidr "$pool")
    ensure_bridge "$cidr"
    # An empty configuration keeps /etc/docker/daemon.json (written for a
    # system dockerd) out of this engine.
    [ -f "$DAEMON_JSON" ] || echo '{}' >"$DAEMON_JSON"
    local started=$SECONDS
    log "starting dockerd: state $STATE, bridge $BRIDGE $cidr, address pool $pool"
    # setsid: the engine outlives this script and the session that ran it.
    setsid dockerd \
        --config-file "$DAEMON_JSON" \
        --host "unix://$SOCK" \
        --data-root "$STATE/root" \
        --exec-root "$STATE/exec" \
        --pidfile "$PIDFILE" \
        --bridge "$BRIDGE" \
        --default-address-pool "$pool" \
        --cgroup-parent /magnum-docker \
        >>"$LOG" 2>&1 </dev/null 8>&- &
    pid=$!
    wait_answers "$pid"
    log "dockerd (pid $pid) answers after $((SECONDS - started))s; client $(docker_client);" \
        "server $("$(docker_client)" version --format '{{.Server.Version}}')"
    check_path_client
    print_env
}

containerd_pid() {
    local pid
    pid=$(cat "$STATE/exec/containerd/containerd.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = containerd ] || return 1
    echo "$pid"
}

# stop_pid PID NAME SECONDS: TERM, wait, then KILL.
stop_pid() {
    local pid=$1 name=$2 i
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < $3 * 4; i++)); do
        kill -0 "$pid" 2>/dev/null || { log "$name (pid $pid) stopped"; return 0; }
        sleep 0.25
    done
    log "$name (pid $pid) did not stop in $3 s; killing it"
    kill -9 "$pid" 2>/dev/null || true
    sleep 0.5
}

stop() {
    local pid cpid
    [ -d "$STATE" ] || { log "the private Docker engine is not running"; return 0; }
    lock_state
    cpid=$(containerd_pid) || cpid=
    if pid=$(daemon_pid); then
        # dockerd stops its containers (10 s grace each, in parallel) and then
        # the containerd it started.
        stop_pid "$pid" dockerd 60
    else
        log "the private Docker engine is not running"
    fi
    if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
        stop_pid "$cpid" containerd 20
    fi
    rm -f "$PIDFILE" "$SOCK"
    if ip link show "$BRIDGE" >/dev/null 2>&1; then
        as_root ip link delete "$BRIDGE" type bridge || true
    fi
}

status() {
    local pid
    if pid=$(daemon_pid); then
        if answers; then
            echo "running: pid $pid, DOCKER_HOST=unix://$SOCK, client $(docker_client)"
            return 0
        fi
        echo "starting or stuck: pid $pid does not answer on $SOCK (log $LOG)"
        return 1
    fi
    echo "stopped (state $STATE)"
    return 3
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) print_env ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
