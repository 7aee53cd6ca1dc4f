# Shared by the tools/ scripts: the project's virtualenv and local services.
# Source it; it defines functions only.

MAGNUM_ROOT=${MAGNUM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
MAGNUM_VENV=${MAGNUM_VENV:-$MAGNUM_ROOT/.venv}

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root for: $*"; fi
}

# apt_install PKG...: install the Debian packages that are missing.
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} = 0 ] && return 0
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get"
    log "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ensure_venv [EXTRA_REQUIREMENTS_FILE...]: the virtualenv with Magnum
# installed editable, at the pinned versions of upper-constraints.txt.
ensure_venv() {
    local stamp="$MAGNUM_VENV/.magnum-installed"
    local inputs=("$MAGNUM_ROOT/requirements.txt" "$MAGNUM_ROOT/setup.cfg"
                  "$MAGNUM_ROOT/upper-constraints.txt" "$@")
    if [ ! -x "$MAGNUM_VENV/bin/python" ]; then
        command -v python3 >/dev/null || apt_install python3
        python3 -m venv "$MAGNUM_VENV" 2>/dev/null || {
            apt_install python3-venv; python3 -m venv "$MAGNUM_VENV"; }
    fi
    local wanted
    wanted=$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    log "installing Magnum and its dependencies into $MAGNUM_VENV"
    # mysqlclient compiles against MariaDB's client library.
    if grep -qi '^mysqlclient' "${inputs[@]}"; then
        apt_install pkg-config libmariadb-dev
    fi
    # uWSGI (test-requirements.txt) compiles with gcc against the headers
    # of the virtualenv's Python: Debian's python3-dev for the system one.
    if grep -qi '^uwsgi' "${inputs[@]}"; then
        apt_install gcc
        "$MAGNUM_VENV/bin/python" -c 'import os, sysconfig, sys; sys.exit(
            not os.path.exists(os.path.join(
                sysconfig.get_paths()["include"], "Python.h")))' ||
            apt_install python3-dev
    fi
    local pip_log="$MAGNUM_VENV/pip.log"
    local reqs=(-r "$MAGNUM_ROOT/requirements.txt")
    for extra in "$@"; do reqs+=(-r "$extra"); done
    {
        "$MAGNUM_VENV/bin/python" -m pip install --upgrade pip &&
        "$MAGNUM_VENV/bin/python" -m pip install -c "$MAGNUM_ROOT/upper-constraints.txt" \
            "${reqs[@]}" &&
        "$MAGNUM_VENV/bin/python" -m pip install --no-deps -e "$MAGNUM_ROOT"
    } >"$pip_log" 2>&1 || { tail -30 "$pip_log"; die "pip failed; see $pip_log"; }
    "$MAGNUM_VENV/bin/python" -c 'import magnum.db.api' || die "Magnum did not install"
    echo "$wanted" > "$stamp"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {  # wait_port HOST PORT SECONDS
    local i
    for ((i = 0; i < $3 * 2; i++)); do port_open "$1" "$2" && return 0; sleep 0.5; done
    return 1
}

# ensure_mariadb / ensure_postgresql / ensure_rabbitmq: start the machine's
# service when it is down (installing it from Debian when it is missing).
ensure_mariadb() {
    port_open 127.0.0.1 3306 && return 0
    command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server
    log "starting MariaDB"
    as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_port 127.0.0.1 3306 60 || die "MariaDB did not start on 127.0.0.1:3306"
}

ensure_postgresql() {
    port_open 127.0.0.1 5432 && return 0
    ls /etc/postgresql/*/main >/dev/null 2>&1 || apt_install postgresql
    log "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    wait_port 127.0.0.1 5432 60 || die "PostgreSQL did not start on 127.0.0.1:5432"
}

ensure_rabbitmq() {
    port_open 127.0.0.1 5672 && return 0
    command -v rabbitmq-server >/dev/null || [ -x /usr/sbin/rabbitmq-server ] || apt_install rabbitmq-server
    log "starting RabbitMQ"
    as_root rabbitmq-server -detached
    wait_port 127.0.0.1 5672 120 || die "RabbitMQ did not start on 127.0.0.1:5672"
}

# ensure_test_tools: what the tests of the Heat Kubernetes drivers check
# the generated boot configurations with: shellcheck (Debian) and
# cloud-init's cloud-config JSON schema, read from Debian's cloud-init
# package unpacked under $MAGNUM_TEST_TOOLS (never installed: cloud-init
# would then run at this machine's next boot).
MAGNUM_TEST_TOOLS=${MAGNUM_TEST_TOOLS:-/var/tmp/magnum-test-tools}
ensure_test_tools() {
    apt_install shellcheck
    # magnum/tests/functional/test_dashboard.py: headless chromium and its driver.
    apt_install chromium chromium-driver
    local schema="$MAGNUM_TEST_TOOLS/cloud-init/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json"
    [ -f "$schema" ] && return 0
    log "unpacking cloud-init's cloud-config schema into $MAGNUM_TEST_TOOLS"
    local work
    work=$(mktemp -d)
    (cd "$work" && apt-get download cloud-init >/dev/null 2>&1) || {
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        (cd "$work" && apt-get download cloud-init >/dev/null)
    } || die "could not download Debian's cloud-init package"
    mkdir -p "$MAGNUM_TEST_TOOLS/cloud-init"
    dpkg-deb -x "$work"/cloud-init_*.deb "$MAGNUM_TEST_TOOLS/cloud-init"
    rm -rf "$work"
    [ -f "$schema" ] || die "cloud-init's package has no $schema"
}
