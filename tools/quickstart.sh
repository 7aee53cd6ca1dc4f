#!/usr/bin/env bash
# Magnum on this machine in one command: makes the virtualenv, writes a
# configuration (SQLite, in-process messaging, no authentication), starts
# magnum-all-in-one (API and conductor in one process) and shows that both
# answer.
#
#   tools/quickstart.sh          start (again) and show the state
#   tools/quickstart.sh --down   stop it and remove what it made
#
# Settings: MAGNUM_QUICKSTART_PORT (default 9511).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STATE="$MAGNUM_ROOT/.quickstart"
PORT=${MAGNUM_QUICKSTART_PORT:-9511}
PIDFILE="$STATE/magnum-all-in-one.pid"
CONF="$STATE/magnum.conf"
URL="http://127.0.0.1:$PORT"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

down() {
    if running; then
        log "stopping magnum-all-in-one (pid $(cat "$PIDFILE"))"
        kill "$(cat "$PIDFILE")"
        for _ in $(seq 1 40); do running || break; sleep 0.25; done
        running && kill -9 "$(cat "$PIDFILE")" || true
    fi
    rm -rf "$STATE"
    log "removed $STATE"
}

if [ "${1:-}" = "--down" ]; then down; exit 0; fi

ensure_venv
mkdir -p "$STATE"
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

[database]
connection = sqlite:///$STATE/magnum.sqlite

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

log "the API answers:"
"$MAGNUM_VENV/bin/python" - "$URL" <<'PYEOF'
import json, sys, urllib.request
url = sys.argv[1]
root = json.load(urllib.request.urlopen(url + '/'))
v1 = json.load(urllib.request.urlopen(url + '/v1'))
version = root['versions'][0]
print('  GET /    -> %s, API %s (microversions %s to %s)' % (
    root['name'], version['id'], version['min_version'],
    version['max_version']))
print('  GET /v1  -> collections: %s' % ', '.join(
    sorted(k for k in v1 if k not in ('id', 'links', 'media_types'))))
PYEOF

log "waiting for the conductor to report itself up"
for _ in $(seq 1 30); do
    if "$MAGNUM_VENV/bin/magnum-status" --config-file "$CONF" upgrade check \
            >"$STATE/status.txt" 2>&1; then
        break
    fi
    sleep 1
done
sed 's/^/  /' "$STATE/status.txt"
grep -q 'magnum-conductor is up' "$STATE/status.txt" || die "the conductor did not report; see $STATE/magnum.log"

cat <<DONE

Magnum runs at $URL (log: $STATE/magnum.log).
  curl $URL/v1
Stop it and remove its files with:
  tools/quickstart.sh --down
DONE
