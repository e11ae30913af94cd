#!/usr/bin/env bash
# The peers of the siting benchmark (spopt, PuLP with its bundled CBC) go into bench/.venv with
# wanzheng itself, never into the project's own environment: `pip install -e '.[bench-plan]'`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.venv
PY=$VENV/bin/python
if [ ! -x "$PY" ]; then
  python3 -m venv "$VENV"
  "$PY" -m pip install --quiet --upgrade pip
fi
if ! "$PY" -c "import wanzheng.plan, spopt, pulp" 2>/dev/null; then
  "$PY" -m pip install --quiet -e '.[bench-plan]'
fi
