#!/usr/bin/env bash
# Install netconfd (yuma123) and OpenSSH's sshd from Debian packages, once.
# Idempotent: does nothing when every package is already installed. Never starts a service:
# the tests start their own sshd/netconfd on loopback (scripts/netconfd/start.sh).
set -euo pipefail

PACKAGES=(netconfd netconfd-module-ietf-interfaces netconfd-module-ietf-system openssh-server)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "netconfd/install.sh: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
fi

# Keep package scripts from starting sshd/netconfd as system services (policy-rc.d: 101 = deny),
# unless the machine already has its own policy.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 0755 "$policy"
    created_policy=1
fi
cleanup() {
    if [ "$created_policy" -eq 1 ]; then
        $SUDO rm -f "$policy"
    fi
}
trap cleanup EXIT

echo "netconfd/install.sh: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
