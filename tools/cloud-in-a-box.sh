#!/usr/bin/env bash
# The cloud-in-a-box: a real Keystone and Heat (from PyPI) on loopback, for
# the functional tests, CI and anyone developing drivers, and read-only
# stand-ins for the Glance, Nova and Neutron APIs (test fixtures).
#
#   tools/cloud-in-a-box.sh up       install (once) and start everything, or
#                                    do nothing when it is all up and healthy
#   tools/cloud-in-a-box.sh down     stop every process it started (by PID)
#   tools/cloud-in-a-box.sh status   say what runs; exit 0 when all is healthy
#   tools/cloud-in-a-box.sh env      print the OS_* exports for the admin and
#                                    the magnum.conf settings to use
#   tools/cloud-in-a-box.sh register-magnum URL [REGION]
#                                    point the catalog endpoints of both
#                                    Magnum types (container-infra and
#                                    container-infrastructure-management)
#                                    at a Magnum API (no /v1)
#   tools/cloud-in-a-box.sh stop-keystone | start-keystone
#                                    stop or start only Keystone (for trying
#                                    what an outage does; "up" restarts it too)
#   tools/cloud-in-a-box.sh freeze   rewrite cloud-in-a-box/constraints.txt
#                                    from the cloud's virtualenv
#
# What it runs, all under one state directory:
#   - a virtualenv with keystone, openstack-heat, gunicorn and PyMySQL at the
#     versions of tools/cloud-in-a-box/constraints.txt (reused while that
#     file is unchanged);
#   - a private MariaDB (its own data directory, port and socket) holding the
#     keystone and heat databases;
#   - Keystone under gunicorn (fernet tokens, memory cache, cheap password
#     hashing: it is a test cloud);
#   - Heat's API under gunicorn and heat-engine, on the machine's RabbitMQ in
#     a virtual host of its own.
# Heat runs with the test cloud's stand-ins (tools/cloud-in-a-box/standins,
# test fixtures; doc/source/contributor/cloud-in-a-box.rst): OS::Nova::Server
# is a container on the project's Docker engine (a resource plugin in
# plugin_dirs) and the Neutron, Octavia and Cinder types are provider
# templates generated from this Heat's schemas (a global environment file
# in environment_dir). "up" checks through Heat's API that they are active.
# A small WSGI service (tools/cloud-in-a-box/apis, a test fixture) stands in
# for the read-only parts of the Glance, Nova and Neutron APIs: a fixed
# inventory of images, flavors, a keypair, an availability zone, networks
# and subnets, for Horizon's forms and Magnum's look-ups; it is registered
# as the image, compute and network services.
# It registers the identity, orchestration and container-infra services, a
# "magnum" service user, Heat's stack-user domain and roles, and two projects
# magnum-a and magnum-b with users a-reader, a-member, a-admin (and b-...)
# holding those roles. Everything a test needs (URLs, users, passwords,
# project ids, magnum.conf settings) is written to STATE/cloud.json.
#
# Settings (environment):
#   MAGNUM_CLOUD_STATE          state directory (default /var/tmp/magnum-cloud)
#   MAGNUM_CLOUD_KEYSTONE_PORT  Keystone's port (default 15000)
#   MAGNUM_CLOUD_HEAT_PORT      Heat API's port (default 18004)
#   MAGNUM_CLOUD_DB_PORT        the private MariaDB's port (default 13307)
#   MAGNUM_CLOUD_APIS_PORT      the Glance, Nova and Neutron stand-ins' port
#                               (default 18774)
#   MAGNUM_CLOUD_RABBIT_VHOST   RabbitMQ virtual host for Heat (default
#                               magnum-cloud; made with rabbitmqctl)
#   MAGNUM_CLOUD_RABBIT_URL     the whole transport URL instead (then no
#                               virtual host is made)
#   MAGNUM_CLOUD_PYTHON         the Python to make the virtualenv with
#                               (default python3)
#   MAGNUM_CLOUD_DOCKER_HOST    the Docker engine of the Nova stand-in
#                               (default: tools/docker-engine.sh's socket,
#                               unix://$MAGNUM_DOCKER_STATE/docker.sock)
# A second cloud on the same machine needs its own state directory, ports
# and virtual host.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TOOLS="$MAGNUM_ROOT/tools/cloud-in-a-box"
STATE=${MAGNUM_CLOUD_STATE:-/var/tmp/magnum-cloud}
VENV="$STATE/venv"
LOGS="$STATE/logs"
RUN="$STATE/run"
KEYSTONE_PORT=${MAGNUM_CLOUD_KEYSTONE_PORT:-15000}
HEAT_PORT=${MAGNUM_CLOUD_HEAT_PORT:-18004}
DB_PORT=${MAGNUM_CLOUD_DB_PORT:-13307}
APIS_PORT=${MAGNUM_CLOUD_APIS_PORT:-18774}
APIS_URL="http://127.0.0.1:$APIS_PORT"
RABBIT_VHOST=${MAGNUM_CLOUD_RABBIT_VHOST:-magnum-cloud}
PYTHON=${MAGNUM_CLOUD_PYTHON:-python3}
STATE_FILE="$STATE/cloud.json"
SECRETS="$STATE/secrets.env"
DB_CNF="$STATE/mariadb/my.cnf"
KEYSTONE_CONF="$STATE/keystone/keystone.conf"
HEAT_CONF="$STATE/heat/heat.conf"
SERVICES=(mariadb keystone heat-api heat-engine standin-apis)
STANDINS="$TOOLS/standins"
APIS="$TOOLS/apis"
STANDIN_PROVIDERS="$STATE/heat/standins"
STANDIN_ENVIRONMENT="$STATE/heat/environment.d/magnum-standins.yaml"
DOCKER_ENGINE_HOST=${MAGNUM_CLOUD_DOCKER_HOST:-unix://${MAGNUM_DOCKER_STATE:-/var/tmp/magnum-docker}/docker.sock}

mkdir -p "$STATE" "$LOGS" "$RUN"

# ---------------------------------------------------------------- helpers

# fail NAME MESSAGE: stop with the end of NAME's log, which says why.
fail() {
    local logfile="$LOGS/$1.log"
    if [ -f "$logfile" ]; then
        echo "==> tail of $logfile <==" >&2
        tail -40 "$logfile" >&2
    fi
    die "$2"
}

# start_time PID: when the process started (in clock ticks since boot).
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# pid_of NAME: the recorded PID when that process is alive and ours: its
# start time is recorded with it, so a recycled PID never counts.
pid_of() {
    local pid started
    [ -f "$RUN/$1.pid" ] || return 1
    read -r pid started <"$RUN/$1.pid" 2>/dev/null || return 1
    [ -n "$pid" ] && [ -n "$started" ] && kill -0 "$pid" 2>/dev/null || return 1
    [ "$(start_time "$pid")" = "$started" ] || return 1
    echo "$pid"
}

running() { pid_of "$1" >/dev/null; }

# launch NAME COMMAND...: start COMMAND in a session of its own (so that it
# outlives the caller and its whole group can be signalled), with nothing
# inherited on stdin/stdout/stderr (a caller reading our output through a
# pipe must not wait for the services; nor the lock, which would stay held
# while they run), and record its PID.
launch() {
    local name=$1
    shift
    log "starting $name"
    MAGNUM_CLOUD_STATE="$STATE" setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 9>&- &
    echo "$! $(start_time $!)" >"$RUN/$name.pid"
}

# stop NAME SECONDS: SIGTERM to its process group, SIGKILL after SECONDS.
stop() {
    local pid i
    pid=$(pid_of "$1") || { rm -f "$RUN/$1.pid"; return 0; }
    log "stopping $1 (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < $2 * 5; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$1 did not stop in $2 s; killing it"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/$1.pid"
}

http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true; }

# wait_http NAME URL CODE SECONDS
wait_http() {
    local i
    for ((i = 0; i < $4 * 2; i++)); do
        [ "$(http_code "$2")" = "$3" ] && return 0
        running "$1" || fail "$1" "$1 exited while starting"
        sleep 0.5
    done
    fail "$1" "$1 did not answer $3 at $2 within $4 s"
}

# A port in use by anything but us is a clash to report, not to wait out.
check_port_free() {
    if port_open 127.0.0.1 "$2"; then
        die "port $2 (for $1) is in use by another process; choose another with the MAGNUM_CLOUD_*_PORT settings"
    fi
}

secret() { "$PYTHON" -c 'import secrets; print(secrets.token_hex(16))'; }

# The cloud's python (the venv's) with the settings setup_cloud.py reads.
cloud_python() {
    MAGNUM_CLOUD_STATE="$STATE" MAGNUM_CLOUD_STATE_FILE="$STATE_FILE" \
    MAGNUM_CLOUD_KEYSTONE_PORT="$KEYSTONE_PORT" MAGNUM_CLOUD_HEAT_PORT="$HEAT_PORT" \
    MAGNUM_CLOUD_DB_PORT="$DB_PORT" MAGNUM_CLOUD_APIS_PORT="$APIS_PORT" \
    MAGNUM_CLOUD_VENV="$VENV" MAGNUM_CLOUD_TOOLS="$TOOLS" \
    MAGNUM_CLOUD_KEYSTONE_CONF="$KEYSTONE_CONF" MAGNUM_CLOUD_RABBIT_URL="$RABBIT_URL" \
    MAGNUM_CLOUD_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    MAGNUM_CLOUD_MAGNUM_PASSWORD="$MAGNUM_PASSWORD" \
    MAGNUM_CLOUD_HEAT_PASSWORD="$HEAT_PASSWORD" \
    MAGNUM_CLOUD_HEAT_DOMAIN_ADMIN_PASSWORD="$HEAT_DOMAIN_ADMIN_PASSWORD" \
    MAGNUM_CLOUD_USER_PASSWORD="$USER_PASSWORD" \
    PYTHONWARNINGS=ignore "$VENV/bin/python" "$TOOLS/setup_cloud.py" "$@"
}

# ---------------------------------------------------------------- install

ensure_cloud_venv() {
    local stamp="$VENV/.cloud-installed" wanted pip_log="$LOGS/pip.log"
    wanted=$(cat "$TOOLS/requirements.txt" "$TOOLS/constraints.txt" | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    command -v "$PYTHON" >/dev/null || apt_install python3
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; "$PYTHON" -m venv "$VENV"; }
    fi
    log "installing Keystone and Heat into $VENV (about 2 minutes the first time)"
    {
        "$VENV/bin/python" -m pip install --upgrade pip &&
        "$VENV/bin/python" -m pip install -c "$TOOLS/constraints.txt" -r "$TOOLS/requirements.txt"
    } >"$pip_log" 2>&1 || fail pip "pip could not install the cloud; see $pip_log"
    "$VENV/bin/python" -c 'import keystone, heat, gunicorn, pymysql' >>"$pip_log" 2>&1 ||
        fail pip "Keystone or Heat did not install"
    echo "$wanted" >"$stamp"
}

ensure_packages() {
    local need=()
    command -v curl >/dev/null || need+=(curl)
    command -v flock >/dev/null || need+=(util-linux)
    command -v mariadb-install-db >/dev/null && [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
    [ ${#need[@]} = 0 ] || apt_install "${need[@]}"
}

# ------------------------------------------------------------- secrets

# Passwords live with the data they protect: new secrets mean a new
# database (and new keys), never users whose passwords nobody knows.
load_secrets() {
    if [ ! -s "$SECRETS" ]; then
        if [ -d "$STATE/mariadb/data" ] || [ -d "$STATE/keystone" ]; then
            log "no $SECRETS: starting from an empty database"
            stop_all
            rm -rf "$STATE/mariadb" "$STATE/keystone" "$STATE/heat" "$STATE_FILE"
        fi
        (
            umask 077
            cat >"$SECRETS" <<EOF
DB_PASSWORD=$(secret)
ADMIN_PASSWORD=$(secret)
MAGNUM_PASSWORD=$(secret)
HEAT_PASSWORD=$(secret)
HEAT_DOMAIN_ADMIN_PASSWORD=$(secret)
USER_PASSWORD=$(secret)
EOF
        )
    fi
    # shellcheck disable=SC1090
    source "$SECRETS"
    RABBIT_URL=${MAGNUM_CLOUD_RABBIT_URL:-rabbit://guest:guest@127.0.0.1:5672/$RABBIT_VHOST}
    DB_URL="mysql+pymysql://cloud:$DB_PASSWORD@127.0.0.1:$DB_PORT"
}

# ------------------------------------------------------------- configs

write_configs() {
    mkdir -p "$STATE/mariadb" "$STATE/keystone" "$STATE/heat/environment.d"
    local run_as=""
    # mariadbd refuses to run as root unless told to.
    [ "$(id -u)" = 0 ] && run_as="user = root"
    cat >"$DB_CNF" <<EOF
# Written by tools/cloud-in-a-box.sh; changes are overwritten.
[client]
socket = $STATE/mariadb/mysql.sock
port = $DB_PORT

[mysqld]
$run_as
datadir = $STATE/mariadb/data
socket = $STATE/mariadb/mysql.sock
port = $DB_PORT
bind-address = 127.0.0.1
pid-file = $STATE/mariadb/mariadbd.pid
log-error = $LOGS/mariadb.log
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
max_connections = 500
# A test cloud: no durability beyond the operating system's.
innodb_flush_log_at_trx_commit = 2
innodb_buffer_pool_size = 128M
EOF
    cat >"$KEYSTONE_CONF" <<EOF
# Written by tools/cloud-in-a-box.sh; changes are overwritten.
[DEFAULT]
debug = false

[database]
connection = $DB_URL/keystone

[token]
provider = fernet
expiration = ${MAGNUM_CLOUD_TOKEN_EXPIRATION:-3600}

[fernet_tokens]
key_repository = $STATE/keystone/fernet-keys

[fernet_receipts]
key_repository = $STATE/keystone/fernet-keys

[credential]
key_repository = $STATE/keystone/credential-keys

[identity]
# bcrypt's cheapest cost: issuing a token takes 0.03 s instead of 0.5 s.
password_hash_rounds = 4

[cache]
enabled = true
backend = dogpile.cache.memory

[oslo_messaging_notifications]
driver = noop
EOF
    cat >"$HEAT_CONF" <<EOF
# Written by tools/cloud-in-a-box.sh; changes are overwritten.
[DEFAULT]
debug = false
transport_url = $RABBIT_URL
# Two engines: each nested stack (one per stood-in resource) is an RPC
# to an engine, so a second one builds stacks side by side on the
# machine's two cores.
num_engine_workers = 2
region_name_for_services = RegionOne
heat_waitcondition_server_url = http://127.0.0.1:$HEAT_PORT/v1/waitcondition
stack_user_domain_name = heat
stack_domain_admin = heat_domain_admin
stack_domain_admin_password = $HEAT_DOMAIN_ADMIN_PASSWORD
environment_dir = $STATE/heat/environment.d
template_dir = $VENV/etc/heat/templates
# The container-backed OS::Nova::Server stand-in (a test fixture).
plugin_dirs = $STANDINS/plugins

[database]
connection = $DB_URL/heat

[paste_deploy]
api_paste_config = $VENV/etc/heat/api-paste.ini

[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KEYSTONE_PORT
auth_url = http://127.0.0.1:$KEYSTONE_PORT
auth_type = password
username = heat
password = $HEAT_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne

[trustee]
auth_type = password
auth_url = http://127.0.0.1:$KEYSTONE_PORT
username = heat
password = $HEAT_PASSWORD
user_domain_name = Default

[clients_keystone]
auth_uri = http://127.0.0.1:$KEYSTONE_PORT

[oslo_messaging_notifications]
driver = noop
EOF
    # Heat's global environment; providers for resource types can go here.
    [ -f "$STATE/heat/environment.d/default.yaml" ] ||
        cp "$VENV/etc/heat/environment.d/default.yaml" "$STATE/heat/environment.d/"
}

# What the running Keystone, Heat and MariaDB were started from: when it
# changes (their configuration, the functions that start them, their entry
# modules, other ports, a checkout elsewhere, such as CI's clone, whose
# entry modules gunicorn should load), "up" restarts them. Only what they
# run from counts, so that a change to the rest of this script (the
# stand-in APIs, the other commands) restarts nothing they run.
config_hash() {
    {
        declare -f launch write_configs start_mariadb prepare_keystone \
            start_keystone prepare_heat start_heat start_heat_engine
        cat "$TOOLS/keystone_wsgi.py" "$TOOLS/heat_wsgi.py" "$TOOLS/constraints.txt" "$SECRETS"
        echo "$TOOLS $KEYSTONE_PORT $HEAT_PORT $DB_PORT $RABBIT_URL ${MAGNUM_CLOUD_TOKEN_EXPIRATION:-}"
    } | sha256sum | cut -d' ' -f1
}

# What the registrations of setup_cloud.py setup were made by: it runs
# again (without restarting anything) when that changes.
setup_hash() {
    cat "$TOOLS/setup_cloud.py" "$SECRETS" "$VENV/.cloud-installed" |
        { cat; echo "$KEYSTONE_PORT $HEAT_PORT $DB_PORT $RABBIT_URL"; } |
        sha256sum | cut -d' ' -f1
}

run_setup() {
    log "registering services, users and projects"
    cloud_python setup >>"$LOGS/setup.log" 2>&1 || fail setup "registering the cloud's users failed"
    setup_hash >"$RUN/setup-hash"
}

# ------------------------------------------------------------- services

mariadb_ready() {
    mariadb-admin --defaults-file="$DB_CNF" -uroot --connect-timeout=2 ping >/dev/null 2>&1
}

start_mariadb() {
    running mariadb && return 0
    if [ ! -d "$STATE/mariadb/data/mysql" ]; then
        log "creating the private MariaDB in $STATE/mariadb/data"
        rm -rf "$STATE/mariadb/data"
        mariadb-install-db --defaults-file="$DB_CNF" --auth-root-authentication-method=normal \
            --skip-test-db >"$LOGS/mariadb-install.log" 2>&1 ||
            fail mariadb-install "mariadb-install-db failed"
    fi
    check_port_free MariaDB "$DB_PORT"
    launch mariadb /usr/sbin/mariadbd --defaults-file="$DB_CNF"
    local i
    for ((i = 0; i < 120; i++)); do
        mariadb_ready && break
        running mariadb || fail mariadb "MariaDB exited while starting"
        sleep 0.5
    done
    mariadb_ready || fail mariadb "MariaDB did not answer within 60 s"
    mariadb --defaults-file="$DB_CNF" -uroot <<EOF || fail mariadb "could not create the databases"
CREATE DATABASE IF NOT EXISTS keystone CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS heat CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'cloud'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON keystone.* TO 'cloud'@'127.0.0.1';
GRANT ALL PRIVILEGES ON heat.* TO 'cloud'@'127.0.0.1';
EOF
}

# stamped NAME: true when step NAME already ran for this install.
stamped() { [ -f "$STATE/$1.done" ] && [ "$(cat "$STATE/$1.done")" = "$(cat "$VENV/.cloud-installed")" ]; }
stamp() { cat "$VENV/.cloud-installed" >"$STATE/$1.done"; }

prepare_keystone() {
    local manage=("$VENV/bin/keystone-manage" --config-file "$KEYSTONE_CONF")
    local owner=(--keystone-user "$(id -un)" --keystone-group "$(id -gn)")
    [ -d "$STATE/keystone/fernet-keys" ] ||
        "${manage[@]}" fernet_setup "${owner[@]}" >>"$LOGS/keystone-manage.log" 2>&1 ||
        fail keystone-manage "keystone-manage fernet_setup failed"
    [ -d "$STATE/keystone/credential-keys" ] ||
        "${manage[@]}" credential_setup "${owner[@]}" >>"$LOGS/keystone-manage.log" 2>&1 ||
        fail keystone-manage "keystone-manage credential_setup failed"
    if ! stamped keystone-db; then
        log "creating Keystone's tables"
        "${manage[@]}" db_sync >>"$LOGS/keystone-manage.log" 2>&1 ||
            fail keystone-manage "keystone-manage db_sync failed"
        log "bootstrapping Keystone"
        "${manage[@]}" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
            --bootstrap-username admin --bootstrap-project-name admin \
            --bootstrap-role-name admin --bootstrap-service-name keystone \
            --bootstrap-region-id RegionOne \
            --bootstrap-admin-url "http://127.0.0.1:$KEYSTONE_PORT/v3" \
            --bootstrap-internal-url "http://127.0.0.1:$KEYSTONE_PORT/v3" \
            --bootstrap-public-url "http://127.0.0.1:$KEYSTONE_PORT/v3" \
            >>"$LOGS/keystone-manage.log" 2>&1 ||
            fail keystone-manage "keystone-manage bootstrap failed"
        stamp keystone-db
    fi
}

# The Keystone gunicorn: one process with threads, because the token cache
# is in memory and a revoked token must be refused by every thread at once.
start_keystone() {
    running keystone && return 0
    check_port_free Keystone "$KEYSTONE_PORT"
    launch keystone env MAGNUM_CLOUD_KEYSTONE_CONF="$KEYSTONE_CONF" \
        "$VENV/bin/gunicorn" --no-control-socket --pythonpath "$TOOLS" \
        --bind "127.0.0.1:$KEYSTONE_PORT" --workers 1 --threads 8 \
        --timeout 120 --graceful-timeout 5 --name magnum-cloud-keystone \
        keystone_wsgi:application
    wait_http keystone "http://127.0.0.1:$KEYSTONE_PORT/v3" 200 120
}

ensure_rabbit_vhost() {
    [ -n "${MAGNUM_CLOUD_RABBIT_URL:-}" ] && return 0
    ensure_rabbitmq
    local ctl=(rabbitmqctl -q)
    [ "$(id -u)" = 0 ] || ctl=(as_root rabbitmqctl -q)
    if ! "${ctl[@]}" list_vhosts 2>/dev/null | grep -qxF "$RABBIT_VHOST"; then
        log "creating RabbitMQ virtual host $RABBIT_VHOST"
        "${ctl[@]}" add_vhost "$RABBIT_VHOST" >/dev/null ||
            die "rabbitmqctl add_vhost failed; set MAGNUM_CLOUD_RABBIT_URL to a usable transport URL"
        "${ctl[@]}" set_permissions -p "$RABBIT_VHOST" guest '.*' '.*' '.*' >/dev/null ||
            die "rabbitmqctl set_permissions failed"
    fi
}

prepare_heat() {
    if ! stamped heat-db; then
        log "creating Heat's tables"
        "$VENV/bin/heat-manage" --config-file "$HEAT_CONF" db_sync >>"$LOGS/heat-manage.log" 2>&1 ||
            fail heat-manage "heat-manage db_sync failed"
        stamp heat-db
    fi
}

start_heat() {
    if ! running heat-api; then
        check_port_free "Heat API" "$HEAT_PORT"
        launch heat-api env MAGNUM_CLOUD_HEAT_CONF="$HEAT_CONF" \
            "$VENV/bin/gunicorn" --no-control-socket --pythonpath "$TOOLS" \
            --bind "127.0.0.1:$HEAT_PORT" --workers 1 --threads 8 \
            --timeout 120 --graceful-timeout 5 --name magnum-cloud-heat-api \
            heat_wsgi:application
    fi
    running heat-engine || start_heat_engine
    wait_http heat-api "http://127.0.0.1:$HEAT_PORT/" 300 120
    cloud_python wait-heat 120 2>>"$LOGS/heat-engine.log" ||
        fail heat-engine "heat-engine did not report for duty"
}

# heat-engine, with the Docker engine its Nova stand-in makes servers on.
start_heat_engine() {
    launch heat-engine env DOCKER_HOST="$DOCKER_ENGINE_HOST" \
        "$VENV/bin/heat-engine" --config-file "$HEAT_CONF"
}

# What the stand-ins are made from: their code, this Heat (the virtualenv)
# and where they are written.
standins_hash() {
    cat "$STANDINS"/*.py "$STANDINS"/plugins/*.py "$VENV/.cloud-installed" |
        { cat; echo "$STANDIN_PROVIDERS $DOCKER_ENGINE_HOST"; } |
        sha256sum | cut -d' ' -f1
}

# Write the provider templates and the global environment file from this
# Heat's schemas when they changed; heat-engine reads both (and loads the
# plugin) only when it starts, so a running one is restarted.
ensure_standins() {
    local wanted
    wanted=$(standins_hash)
    if [ -f "$RUN/standins-hash" ] && [ "$(cat "$RUN/standins-hash")" = "$wanted" ] &&
        [ -s "$STANDIN_ENVIRONMENT" ]; then
        return 0
    fi
    log "writing the stand-ins for Nova, Neutron, Octavia and Cinder"
    mkdir -p "$STATE/heat/environment.d"
    PYTHONWARNINGS=ignore "$VENV/bin/python" "$STANDINS/make_standins.py" \
        "$STANDIN_PROVIDERS" "$STANDIN_ENVIRONMENT" >>"$LOGS/standins.log" 2>&1 ||
        fail standins "could not write the stand-ins"
    if running heat-engine; then
        log "restarting heat-engine for the new stand-ins"
        stop heat-engine 30
        start_heat_engine
        cloud_python wait-heat 120 2>>"$LOGS/heat-engine.log" ||
            fail heat-engine "heat-engine did not report for duty"
    fi
    echo "$wanted" >"$RUN/standins-hash"
}

# A global environment file that does not parse, or a plugin that does not
# load, is only logged by heat-engine, which then runs with the real types:
# ask Heat's API which OS::Nova::Server (and providers) it has, once for
# each heat-engine process (it reads both only when it starts).
check_standins() {
    local checked
    checked="$(cat "$RUN/heat-engine.pid" 2>/dev/null) $(cat "$RUN/standins-hash" 2>/dev/null)"
    [ -f "$RUN/standins-checked" ] && [ "$(cat "$RUN/standins-checked")" = "$checked" ] && return 0
    PYTHONWARNINGS=ignore "$VENV/bin/python" "$STANDINS/check_standins.py" \
        "$STATE_FILE" 120 >>"$LOGS/standins.log" 2>&1 || {
        rm -f "$RUN/standins-hash" "$RUN/standins-checked"
        fail standins "the stand-ins are not active in Heat (see $LOGS/standins.log and $LOGS/heat-engine.log)"
    }
    echo "$checked" >"$RUN/standins-checked"
}

# ---------------------------------------------------- the stand-in APIs

# The read-only Glance, Nova and Neutron stand-ins (apis/standin_apis.py, a
# test fixture): one gunicorn process with threads on the cloud's Python,
# checking tokens with Keystone.
start_standin_apis() {
    check_port_free "the stand-in APIs" "$APIS_PORT"
    launch standin-apis env MAGNUM_CLOUD_KEYSTONE_URL="http://127.0.0.1:$KEYSTONE_PORT" \
        "$VENV/bin/gunicorn" --no-control-socket --pythonpath "$APIS" \
        --bind "127.0.0.1:$APIS_PORT" --workers 1 --threads 4 \
        --timeout 60 --graceful-timeout 5 --name magnum-cloud-standin-apis \
        standin_apis:application
    wait_http standin-apis "$APIS_URL/compute/v2.1" 200 60
}

# What the running stand-in APIs were started from.
apis_hash() {
    {
        declare -f launch start_standin_apis
        cat "$APIS"/*.py "$APIS"/inventory.yaml "$VENV/.cloud-installed"
        echo "$APIS $APIS_PORT $KEYSTONE_PORT"
    } | sha256sum | cut -d' ' -f1
}

# Start the stand-in APIs (again when what they run from changed; nothing
# else restarts) and register them in the catalog once per Keystone
# database: image, compute and network in RegionOne.
ensure_standin_apis() {
    local wanted registered
    wanted=$(apis_hash)
    if ! running standin-apis || [ "$(cat "$RUN/standin-apis-hash" 2>/dev/null)" != "$wanted" ]; then
        stop standin-apis 10
        start_standin_apis
        echo "$wanted" >"$RUN/standin-apis-hash"
    fi
    registered=$(cat "$SECRETS" "$STATE/keystone-db.done" | { cat; echo "$APIS_URL"; } |
        sha256sum | cut -d' ' -f1)
    if [ "$(cat "$RUN/standin-apis-registered" 2>/dev/null)" != "$registered" ]; then
        log "registering the stand-in APIs (image, compute, network) at $APIS_URL"
        cloud_python register-apis "$APIS_URL" >>"$LOGS/setup.log" 2>&1 ||
            fail setup "registering the stand-in APIs failed"
        echo "$registered" >"$RUN/standin-apis-registered"
    fi
}

healthy() {
    running mariadb && running keystone && running heat-api && running heat-engine &&
        running standin-apis && [ -s "$STATE_FILE" ] &&
        [ "$(http_code "http://127.0.0.1:$KEYSTONE_PORT/v3")" = 200 ] &&
        [ "$(http_code "http://127.0.0.1:$HEAT_PORT/")" = 300 ] &&
        [ "$(http_code "$APIS_URL/compute/v2.1")" = 200 ]
}

stop_all() {
    stop standin-apis 10
    stop heat-engine 30
    stop heat-api 15
    stop keystone 15
    stop mariadb 30
}

# ------------------------------------------------------------- commands

with_lock() {
    exec 9>"$STATE/lock"
    flock -w 900 9 || die "another cloud-in-a-box command holds $STATE/lock"
}

cmd_up() {
    with_lock
    ensure_packages
    ensure_cloud_venv
    load_secrets
    local wanted
    wanted=$(config_hash)
    if [ -f "$RUN/config-hash" ] && [ "$(cat "$RUN/config-hash")" != "$wanted" ]; then
        log "the cloud's settings or scripts changed; restarting it"
        stop_all
    fi
    if healthy && [ -f "$RUN/config-hash" ]; then
        [ "$(cat "$RUN/setup-hash" 2>/dev/null)" = "$(setup_hash)" ] || run_setup
        ensure_standins
        check_standins
        ensure_standin_apis
        log "the cloud is up (state in $STATE_FILE)"
        return 0
    fi
    local started=$SECONDS
    write_configs
    start_mariadb
    prepare_keystone
    start_keystone
    run_setup
    ensure_rabbit_vhost
    prepare_heat
    ensure_standins
    start_heat
    check_standins
    ensure_standin_apis
    echo "$wanted" >"$RUN/config-hash"
    log "the cloud is up in $((SECONDS - started)) s: Keystone http://127.0.0.1:$KEYSTONE_PORT/v3, Heat http://127.0.0.1:$HEAT_PORT, the stand-in APIs $APIS_URL (state in $STATE_FILE)"
}

cmd_down() {
    with_lock
    stop_all
    rm -f "$RUN/config-hash"
    log "the cloud is down"
}

cmd_status() {
    local name pid code=0
    for name in "${SERVICES[@]}"; do
        if pid=$(pid_of "$name"); then
            echo "$name: running (pid $pid)"
        else
            echo "$name: stopped"
            code=1
        fi
    done
    echo "keystone http://127.0.0.1:$KEYSTONE_PORT/v3: HTTP $(http_code "http://127.0.0.1:$KEYSTONE_PORT/v3")"
    echo "heat http://127.0.0.1:$HEAT_PORT/: HTTP $(http_code "http://127.0.0.1:$HEAT_PORT/")"
    echo "stand-in APIs $APIS_URL/compute/v2.1: HTTP $(http_code "$APIS_URL/compute/v2.1")"
    load_secrets_if_any
    healthy || code=1
    return $code
}

load_secrets_if_any() { [ -s "$SECRETS" ] && load_secrets || true; }

cmd_env() {
    [ -s "$STATE_FILE" ] || die "no $STATE_FILE: run '$0 up' first"
    load_secrets
    cloud_python env
}

cmd_register_magnum() {
    [ $# -ge 1 ] || die "usage: $0 register-magnum URL [REGION]"
    with_lock
    load_secrets
    cloud_python register-magnum "$@" || die "could not register Magnum at $1"
    log "container-infra endpoints point at $1"
}

cmd_freeze() {
    [ -x "$VENV/bin/python" ] || die "no cloud virtualenv at $VENV"
    {
        echo "# Versions the cloud-in-a-box installs into its own virtualenv (pip -c)."
        echo "# Regenerate from a working cloud virtualenv: tools/cloud-in-a-box.sh freeze"
        "$VENV/bin/python" -m pip freeze --all 2>/dev/null | grep -v -E '^(pip|setuptools|wheel)==' | sort -f
    } >"$TOOLS/constraints.txt"
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    register-magnum) shift; cmd_register_magnum "$@" ;;
    stop-keystone) with_lock; stop keystone 15 ;;
    start-keystone) with_lock; load_secrets; start_keystone ;;
    freeze) cmd_freeze ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
