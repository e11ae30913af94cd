#!/usr/bin/env bash
# make bench: install the peers into bench/.venv (a failed peer is skipped and reported),
# then run every benchmark; each rewrites only its own block of docs/benchmarks.md.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.venv
PY=$VENV/bin/python
if [ ! -x "$PY" ]; then
  python3 -m venv "$VENV" || exit 1
  "$PY" -m pip install --quiet --upgrade pip
fi
# wanzheng itself (editable) and matplotlib for the plots are required ...
"$PY" -m pip install --quiet -e . matplotlib || exit 1
# ... the peers are not: install each on its own so that one failure does not stop the rest.
for peer in networkit igraph networkx pandana osmnx; do
  if ! "$PY" -c "import $peer" 2>/dev/null; then
    "$PY" -m pip install --quiet "$peer" || echo "bench: could not install $peer; its runs are skipped" >&2
  fi
done
mkdir -p bench/work
status=0
"$PY" -m bench.run_all "$@" || status=1
# further benchmarks (end to end, the case desk) add their own line here
for extra in bench/run_e2e.py bench/redact_bench.py; do
  if [ -f "$extra" ]; then
    mod=$(basename "$extra" .py)
    "$PY" -m "bench.$mod" || status=1
  fi
done
exit $status
