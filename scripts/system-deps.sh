#!/usr/bin/env bash
# Debian packages the tests and the lab need: installed once, skipped when present.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v yanglint >/dev/null 2>&1 || need+=(libyang2-tools)  # YANG checks (tests/yanglint.py)
command -v chromium >/dev/null 2>&1 || need+=(chromium)  # console browser tests (Playwright drives it)
for extra in "$@"; do
  dpkg -s "$extra" >/dev/null 2>&1 || need+=("$extra")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${need[*]}; run as root (or install them) for the PostgreSQL/netconfd tests" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
