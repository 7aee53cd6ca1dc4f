#!/usr/bin/env bash
# Re-pin upper-constraints.txt to what the project's virtualenv has now.
# Review the diff: the config sample test fails when library options move.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
{
    echo "# Versions CI and the README's commands install (pip -c upper-constraints.txt)."
    echo "# Regenerate from a working virtualenv: tools/update-constraints.sh"
    "$MAGNUM_VENV/bin/python" -m pip freeze --exclude-editable 2>/dev/null | grep -v "^#" \
        | grep -v -i '^magnum==' | sort -f
} > "$MAGNUM_ROOT/upper-constraints.txt"
