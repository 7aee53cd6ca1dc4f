#!/usr/bin/env bash
# The whole Magnum test suite on a fresh machine: makes the virtualenv,
# installs the pinned dependencies, starts MariaDB, PostgreSQL and RabbitMQ
# when they are down, then runs pytest over magnum/tests (unit and
# functional). Extra arguments go to pytest, e.g.:
#   tools/run-tests.sh magnum/tests/unit -k cluster
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$MAGNUM_ROOT"

ensure_venv "$MAGNUM_ROOT/test-requirements.txt"
ensure_mariadb
ensure_postgresql
ensure_rabbitmq
ensure_test_tools

if [ $# = 0 ]; then set -- magnum/tests; fi
log "running pytest $*"
exec "$MAGNUM_VENV/bin/python" -m pytest -p no:cacheprovider -q -ra "$@"
