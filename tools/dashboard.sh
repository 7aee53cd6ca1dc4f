#!/usr/bin/env bash
# The Horizon dashboard with magnum-ui (both from PyPI), on loopback,
# against the cloud-in-a-box's Keystone and whatever Magnum API its
# catalog names.
#
#   tools/dashboard.sh up [MAGNUM_URL]
#                          install (once) and start the dashboard, or do
#                          nothing when it is up with the same settings;
#                          with MAGNUM_URL (a Magnum API root, no /v1)
#                          first register it in the cloud's catalog
#                          (RegionOne) under both service types:
#                          container-infrastructure-management
#                          (tools/cloud-in-a-box.sh register-magnum) and
#                          container-infra, the one magnum-ui looks up
#   tools/dashboard.sh down     stop it (by PID)
#   tools/dashboard.sh status   say whether it answers; exit 0 when it does
#   tools/dashboard.sh url      print its URL
#   tools/dashboard.sh freeze   rewrite dashboard/constraints.txt from the
#                               dashboard's virtualenv
#
# Horizon and magnum-ui pin their own Django and clients: they live in a
# virtualenv of their own, cached under /var/tmp like the cloud's and
# reused while tools/dashboard/requirements.txt and constraints.txt are
# unchanged. collectstatic and Horizon's offline compress run at "up"
# (cached beside the virtualenv, redone when the virtualenv or the
# settings change); neither needs the network. The dashboard is served by
# gunicorn, its static files by WhiteNoise in the same process
# (tools/dashboard/wsgi.py), with tools/dashboard/local_settings.py.
#
# Settings (environment):
#   MAGNUM_DASHBOARD_CACHE   virtualenv and static files
#                            (default /var/tmp/magnum-dashboard)
#   MAGNUM_DASHBOARD_STATE   settings, PID, logs (default $CACHE/state);
#                            a test gives its own, so it never stops
#                            someone else's dashboard
#   MAGNUM_DASHBOARD_PORT    port on 127.0.0.1 (default 18080)
#   MAGNUM_CLOUD_STATE       the cloud-in-a-box (default /var/tmp/magnum-cloud)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TOOLS="$MAGNUM_ROOT/tools/dashboard"
CACHE=${MAGNUM_DASHBOARD_CACHE:-/var/tmp/magnum-dashboard}
STATE=${MAGNUM_DASHBOARD_STATE:-$CACHE/state}
VENV="$CACHE/venv"
PORT=${MAGNUM_DASHBOARD_PORT:-18080}
CLOUD_STATE=${MAGNUM_CLOUD_STATE:-/var/tmp/magnum-cloud}
CLOUD_FILE="$CLOUD_STATE/cloud.json"
CONFIG="$STATE/dashboard.json"
PIDFILE="$STATE/gunicorn.pid"
LOG="$STATE/dashboard.log"
URL="http://127.0.0.1:$PORT"

mkdir -p "$CACHE" "$STATE"

# start_time PID: when the process started (clock ticks since boot), so
# a recycled PID is never taken for ours.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

pid_of() {
    local pid started
    [ -f "$PIDFILE" ] || return 1
    read -r pid started <"$PIDFILE" 2>/dev/null || return 1
    [ -n "$pid" ] && [ -n "$started" ] && kill -0 "$pid" 2>/dev/null || return 1
    [ "$(start_time "$pid")" = "$started" ] || return 1
    echo "$pid"
}

answers() {
    [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$URL/auth/login/" 2>/dev/null)" = 200 ]
}

ensure_dashboard_venv() {
    local stamp="$VENV/.dashboard-installed" wanted pip_log="$CACHE/pip.log"
    wanted=$(cat "$TOOLS/requirements.txt" "$TOOLS/constraints.txt" | sha256sum | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && return 0
    command -v python3 >/dev/null || apt_install python3
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
    fi
    log "installing Horizon and magnum-ui into $VENV (about 2 minutes the first time)"
    {
        "$VENV/bin/python" -m pip install --upgrade pip &&
        "$VENV/bin/python" -m pip install -c "$TOOLS/constraints.txt" -r "$TOOLS/requirements.txt"
    } >"$pip_log" 2>&1 || { tail -30 "$pip_log" >&2; die "pip could not install the dashboard; see $pip_log"; }
    "$VENV/bin/python" -c 'import openstack_dashboard, magnum_ui, whitenoise' >>"$pip_log" 2>&1 ||
        die "Horizon or magnum-ui did not install; see $pip_log"
    rm -f "$CACHE/static/.stamp"
    echo "$wanted" >"$stamp"
}

# The settings the running dashboard reads (tools/dashboard/local_settings.py
# loads this file): the cloud's Keystone, the static root, the secret key,
# where the sessions are kept.
write_config() {
    [ -f "$CLOUD_FILE" ] || die "no $CLOUD_FILE: start the cloud first (tools/cloud-in-a-box.sh up)"
    local secret
    secret=$(cat "$STATE/secret_key" 2>/dev/null || true)
    if [ -z "$secret" ]; then
        secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
        (umask 077 && echo "$secret" >"$STATE/secret_key")
    fi
    (umask 077 && mkdir -p "$STATE/sessions")
    python3 - "$CLOUD_FILE" "$CONFIG.new" "$CACHE/static" "$STATE" "$PORT" <<'PY'
import json, sys
cloud_file, out, static_root, state, port = sys.argv[1:]
cloud = json.load(open(cloud_file))
json.dump({'keystone_url': cloud['auth_url'],
           'static_root': static_root,
           'secret_key_file': state + '/secret_key',
           'session_dir': state + '/sessions',
           'port': int(port)}, open(out, 'w'), indent=1, sort_keys=True)
PY
}

# Django's manage.py of Horizon, with the settings "up" just wrote.
manage() {
    MAGNUM_DASHBOARD_CONFIG="$CONFIG.new" PYTHONWARNINGS=ignore \
        "$VENV/bin/python" -m django "$@" --settings=openstack_dashboard.settings
}

install_settings() {
    local site local_dir ui
    site=$("$VENV/bin/python" -c 'import openstack_dashboard, os; print(os.path.dirname(openstack_dashboard.__file__))')
    ui=$("$VENV/bin/python" -c 'import magnum_ui, os; print(os.path.dirname(magnum_ui.__file__))')
    local_dir="$site/local"
    install -m 0644 "$TOOLS/local_settings.py" "$local_dir/local_settings.py"
    mkdir -p "$local_dir/enabled"
    # magnum-ui's panels (Container Infra: clusters, cluster templates,
    # quotas) are enabled the way its docs say: its enabled files copied.
    cp "$ui"/enabled/_[0-9]*.py "$local_dir/enabled/"
}

# collectstatic and compress, once per virtualenv and settings.
ensure_static() {
    local stamp="$CACHE/static/.stamp" wanted
    wanted=$(cat "$VENV/.dashboard-installed" "$TOOLS/local_settings.py" | sha256sum | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && return 0
    log "collecting and compressing Horizon's static files into $CACHE/static"
    rm -rf "$CACHE/static"
    mkdir -p "$CACHE/static"
    {
        manage collectstatic --noinput &&
        manage compress --force
    } >"$CACHE/static.log" 2>&1 || { tail -30 "$CACHE/static.log" >&2; die "collectstatic/compress failed; see $CACHE/static.log"; }
    echo "$wanted" >"$stamp"
}

start() {
    if port_open 127.0.0.1 "$PORT"; then
        die "port $PORT is in use by another process; choose another with MAGNUM_DASHBOARD_PORT"
    fi
    log "starting the dashboard at $URL"
    MAGNUM_DASHBOARD_CONFIG="$CONFIG" PYTHONWARNINGS=ignore \
        setsid "$VENV/bin/gunicorn" --no-control-socket --chdir "$TOOLS" \
        --bind "127.0.0.1:$PORT" --workers 2 --timeout 120 \
        --graceful-timeout 5 wsgi:application \
        </dev/null >>"$LOG" 2>&1 9>&- &
    echo "$! $(start_time $!)" >"$PIDFILE"
    local i
    for ((i = 0; i < 240; i++)); do
        answers && return 0
        pid_of >/dev/null || { tail -40 "$LOG" >&2; die "the dashboard exited while starting; see $LOG"; }
        sleep 0.5
    done
    tail -40 "$LOG" >&2
    die "the dashboard did not answer at $URL/auth/login/ within 120 s"
}

stop() {
    local pid i
    pid=$(pid_of) || { rm -f "$PIDFILE"; return 0; }
    log "stopping the dashboard (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || true; }
    rm -f "$PIDFILE"
}

up() {
    # One installer at a time: test runs share the cached virtualenv and
    # static files (the lock is not passed on to gunicorn).
    exec 9>"$CACHE/.lock"
    flock 9
    ensure_dashboard_venv
    if [ -n "${1:-}" ]; then
        # cloud-in-a-box.sh register-magnum registers the official type;
        # magnum-ui looks up exactly "container-infra" (upstream DevStack's).
        bash "$MAGNUM_ROOT/tools/cloud-in-a-box.sh" register-magnum "$1"
        PYTHONWARNINGS=ignore "$VENV/bin/python" "$TOOLS/register.py" \
            "$CLOUD_FILE" container-infra "$1" || die "could not register $1 as container-infra"
    fi
    write_config
    install_settings
    ensure_static
    if pid_of >/dev/null && cmp -s "$CONFIG.new" "$CONFIG" && answers; then
        rm -f "$CONFIG.new"
        log "the dashboard is up at $URL"
        return 0
    fi
    stop
    mv "$CONFIG.new" "$CONFIG"
    start
    log "the dashboard is up at $URL"
}

case "${1:-}" in
    up) shift; up "$@" ;;
    down) stop ;;
    status)
        if pid_of >/dev/null && answers; then echo "dashboard: up at $URL (pid $(pid_of))"
        else echo "dashboard: down"; exit 1; fi ;;
    url) echo "$URL" ;;
    freeze)
        [ -x "$VENV/bin/python" ] || die "no virtualenv at $VENV"
        { echo "# Versions the dashboard installs into its own virtualenv (pip -c)."
          echo "# Regenerate from a working dashboard virtualenv: tools/dashboard.sh freeze"
          "$VENV/bin/python" -m pip freeze --all --exclude pip --exclude setuptools | LC_ALL=C sort -f
        } >"$TOOLS/constraints.txt.new"
        mv "$TOOLS/constraints.txt.new" "$TOOLS/constraints.txt"
        log "wrote $TOOLS/constraints.txt" ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
