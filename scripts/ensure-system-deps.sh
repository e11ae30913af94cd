#!/usr/bin/env bash
# Installs the system packages wanzheng needs when they are missing (apt, as root).
#   scripts/ensure-system-deps.sh              what the tests need:
#     chromium            the real browser for the end-to-end tests (driven by Playwright)
#     postgresql          server binaries; the tests start a throwaway server themselves
#     fonts-wqy-microhei  a CJK font so that screenshots of zh-CN pages show characters
#     nginx               the reverse proxy of deploy/nginx.conf (tests/deploy/test_nginx.py)
#   scripts/ensure-system-deps.sh build PYTHON what building from source needs:
#     gcc, libc6-dev      a C compiler for the engine's core (network/_engine_core.pyx, Cython → C)
#     python3-dev         Python's headers, unless PYTHON comes with them (pyenv, python.org builds)
set -euo pipefail
need=()
if [ "${1:-}" = build ]; then
  what="building the engine's compiled core"
  command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
  inc=$("${2:-python3}" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  [ -f "$inc/Python.h" ] || need+=(python3-dev)
else
  what="the tests"
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
  fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk\|noto serif cjk" || need+=(fonts-wqy-microhei)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "wanzheng: missing system packages for $what: ${need[*]}" >&2
  echo "wanzheng: install them as root: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
