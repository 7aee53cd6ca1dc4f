#!/usr/bin/env bash
# The whole Magnum test suite on a fresh machine: makes the virtualenv,
# installs the pinned dependencies (and those that build the docs),
# starts MariaDB, PostgreSQL and RabbitMQ when they are down, then runs
# pytest over magnum/tests (unit, functional, and the docs build in
# magnum/tests/functional/test_docs_build.py). Extra arguments go to
# pytest, e.g.:
#   tools/run-tests.sh magnum/tests/unit -k cluster
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$MAGNUM_ROOT"

# doc/requirements.txt: magnum/tests/functional/test_docs_build.py builds
# the documentation, the API reference and the release notes.
ensure_venv "$MAGNUM_ROOT/test-requirements.txt" "$MAGNUM_ROOT/doc/requirements.txt"
ensure_mariadb
ensure_postgresql
ensure_rabbitmq
ensure_test_tools

if [ $# = 0 ]; then set -- magnum/tests; fi
log "running pytest $*"
# --durations: the slowest tests are in the log of every run (CI keeps
# its time well inside its limit by watching them).
exec "$MAGNUM_VENV/bin/python" -m pytest -p no:cacheprovider -q -ra \
    --durations=30 "$@"
