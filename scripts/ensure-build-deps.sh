#!/usr/bin/env bash
# Installs what building wanzheng from source needs when it is missing: a C compiler for the
# engine's compiled core (src/wanzheng/network/_engine_core.pyx, Cython → C). Python's own headers
# come with the interpreter (pyenv, python.org builds) or with Debian's python3-dev.
#   usage: scripts/ensure-build-deps.sh PYTHON
set -euo pipefail
py=${1:-python3}
need=()
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
[ -f "$inc/Python.h" ] || need+=(python3-dev)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "wanzheng: building the engine's compiled core needs: ${need[*]}" >&2
  echo "wanzheng: install them as root: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing build packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
