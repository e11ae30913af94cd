#!/usr/bin/env bash
# Installs the system packages the tests need when they are missing:
#   chromium            the real browser for the end-to-end tests (driven by Playwright)
#   postgresql          server binaries; the tests start a throwaway server themselves
#   fonts-wqy-microhei  a CJK font so that screenshots of zh-CN pages show characters
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk\|noto serif cjk" || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "wanzheng: the tests need these system packages: ${need[*]}" >&2
  echo "wanzheng: install them as root: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
