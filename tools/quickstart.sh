#!/usr/bin/env bash
# Magnum on this machine in one command, building a real cluster:
#  - makes the virtualenv (Magnum and the openstack CLI with its coe plugin),
#  - starts a private Docker engine and builds the swarm node image (from
#    Debian packages; no registry), reusing both when present,
#  - runs magnum-all-in-one (API and conductor in one process; SQLite,
#    in-process messaging, no authentication),
#  - creates a cluster template and a 1-manager 2-worker swarm-mode cluster
#    with the local Docker driver, waits for CREATE_COMPLETE, fetches its
#    credentials with `openstack coe cluster config` and runs `docker node ls`.
#
#   tools/quickstart.sh          start (again) and show the state
#   tools/quickstart.sh --down   delete the cluster, stop everything the
#                                quickstart started and remove its files
#
# Settings: MAGNUM_QUICKSTART_PORT (default 9511).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STATE="$MAGNUM_ROOT/.quickstart"
PORT=${MAGNUM_QUICKSTART_PORT:-9511}
PIDFILE="$STATE/magnum-all-in-one.pid"
CONF="$STATE/magnum.conf"
URL="http://127.0.0.1:$PORT"
IMAGE=${MAGNUM_NODE_IMAGE:-magnum/swarm-node:bookworm-1}
export MAGNUM_DOCKER_STATE=${MAGNUM_DOCKER_STATE:-/var/tmp/magnum-docker}
CLUSTER=quickstart

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

coe() {
    OS_AUTH_TYPE=none OS_ENDPOINT="$URL" PYTHONWARNINGS=ignore \
        "$MAGNUM_VENV/bin/openstack" coe "$@"
}

cluster_field() {  # cluster_field NAME FIELD: one field of a cluster, or ""
    coe cluster show "$1" -f value -c "$2" 2>/dev/null || true
}

down() {
    if running; then
        if [ -n "$(cluster_field "$CLUSTER" uuid)" ]; then
            log "deleting cluster $CLUSTER"
            coe cluster delete "$CLUSTER" >/dev/null || true
            for _ in $(seq 1 120); do
                [ -z "$(cluster_field "$CLUSTER" uuid)" ] && break
                sleep 1
            done
        fi
        log "stopping magnum-all-in-one (pid $(cat "$PIDFILE"))"
        kill "$(cat "$PIDFILE")"
        for _ in $(seq 1 40); do running || break; sleep 0.25; done
        running && kill -9 "$(cat "$PIDFILE")" || true
    fi
    if [ -f "$STATE/started-docker-engine" ]; then
        "$MAGNUM_ROOT/tools/docker-engine.sh" stop || true
    fi
    rm -rf "$STATE"
    log "removed $STATE"
}

if [ "${1:-}" = "--down" ]; then down; exit 0; fi

cat > "$MAGNUM_ROOT/.quickstart-requirements.txt" <<REQ
python-magnumclient
python-openstackclient
REQ
ensure_venv "$MAGNUM_ROOT/.quickstart-requirements.txt"
rm -f "$MAGNUM_ROOT/.quickstart-requirements.txt"
mkdir -p "$STATE"

if ! "$MAGNUM_ROOT/tools/docker-engine.sh" status >/dev/null 2>&1; then
    touch "$STATE/started-docker-engine"
fi
"$MAGNUM_ROOT/tools/docker-engine.sh" start >/dev/null
eval "$("$MAGNUM_ROOT/tools/docker-engine.sh" env)"
"$MAGNUM_ROOT/tools/build-node-image.sh" --tag "${IMAGE##*:}" >/dev/null

if [ ! -f "$CONF" ]; then
    cat > "$CONF" <<CONFEOF
[DEFAULT]
# The quickstart runs without Keystone: every request acts as an admin.
auth_strategy = noauth
state_path = $STATE
log_file = $STATE/magnum.log
report_interval = 5

[api]
host = 127.0.0.1
port = $PORT

[conductor]
sync_interval = 3

[database]
connection = sqlite:///$STATE/magnum.sqlite

[local_driver]
docker_host = $DOCKER_HOST

[oslo_policy]
policy_file = $STATE/policy.yaml
CONFEOF
fi

if running; then
    log "magnum-all-in-one already runs (pid $(cat "$PIDFILE"))"
else
    port_open 127.0.0.1 "$PORT" && die "port $PORT is taken; set MAGNUM_QUICKSTART_PORT"
    log "starting magnum-all-in-one on $URL"
    nohup "$MAGNUM_VENV/bin/magnum-all-in-one" --config-file "$CONF" \
        >"$STATE/console.log" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 120); do
        port_open 127.0.0.1 "$PORT" && break
        running || break
        sleep 0.5
    done
    if ! port_open 127.0.0.1 "$PORT"; then
        tail -20 "$STATE/console.log" "$STATE/magnum.log" 2>/dev/null || true
        die "magnum-all-in-one did not start; see $STATE/magnum.log"
    fi
fi

if [ -z "$(coe cluster template show "$CLUSTER" -f value -c uuid 2>/dev/null || true)" ]; then
    log "creating cluster template $CLUSTER (swarm-mode on local containers)"
    coe cluster template create "$CLUSTER" --coe swarm-mode \
        --server-type container --image "$IMAGE" \
        --external-network host --flavor m1.small --master-flavor m1.small \
        >/dev/null
fi

if [ -z "$(cluster_field "$CLUSTER" uuid)" ]; then
    log "creating cluster $CLUSTER: 1 manager, 2 workers"
    coe cluster create "$CLUSTER" --cluster-template "$CLUSTER" \
        --master-count 1 --node-count 2 >/dev/null
fi

last=""
for _ in $(seq 1 600); do
    status=$(cluster_field "$CLUSTER" status)
    reason=$(cluster_field "$CLUSTER" status_reason)
    if [ "$status $reason" != "$last" ]; then
        log "cluster $CLUSTER: $status${reason:+ ($reason)}"
        last="$status $reason"
    fi
    case "$status" in
        CREATE_COMPLETE|UPDATE_COMPLETE) break ;;
        *FAILED) die "cluster $CLUSTER failed: $reason (log: $STATE/magnum.log)" ;;
    esac
    sleep 2
done
[ "$(cluster_field "$CLUSTER" status)" = CREATE_COMPLETE ] || \
    [ "$(cluster_field "$CLUSTER" status)" = UPDATE_COMPLETE ] || \
    die "cluster $CLUSTER did not finish; see $STATE/magnum.log"

CERTS="$STATE/cluster-$CLUSTER"
mkdir -p "$CERTS"
log "fetching credentials: openstack coe cluster config $CLUSTER --dir $CERTS --output-certs"
exports=$(cd "$CERTS" && SHELL=/bin/bash coe cluster config "$CLUSTER" --dir "$CERTS" --force --output-certs)
log "docker node ls, over TLS with the cluster's certificates:"
(
    eval "$exports"
    unset DOCKER_CONTEXT
    docker node ls
)

cat <<DONE

Magnum runs at $URL (log: $STATE/magnum.log); cluster $CLUSTER is
$(cluster_field "$CLUSTER" status) at $(cluster_field "$CLUSTER" api_address).

Use it:
  export OS_AUTH_TYPE=none OS_ENDPOINT=$URL
  $MAGNUM_VENV/bin/openstack coe cluster list
$(printf '%s\n' "$exports" | sed 's/^/  /')
  docker node ls

Stop it and remove everything the quickstart made:
  tools/quickstart.sh --down
DONE
