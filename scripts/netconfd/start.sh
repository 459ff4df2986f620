#!/usr/bin/env bash
# Start netconfd (yuma123) behind a private sshd on a loopback port, in the foreground.
#
#   scripts/netconfd/start.sh [STATE_DIR]
#
# Everything lives in STATE_DIR (default: a new temp dir): sshd's own config and host key, a
# client key whose public half is the only authorized key, netconfd's socket, home and logs.
# The host's sshd and /etc/ssh are never touched. Once both servers accept sessions,
# STATE_DIR/endpoint.env is written (NETCONFD_HOST, NETCONFD_PORT, NETCONFD_USER, NETCONFD_KEY)
# and the script waits; SIGTERM/SIGINT stops both servers. Environment:
#   NETCONFD_PORT    loopback port for sshd (default: a free one)
#   NETCONFD_TARGET  candidate (default: :candidate + :confirmed-commit) or running (:writable-running)
#   NETCONFD_MODULES space-separated YANG modules to load (default: ietf-interfaces)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${1:-$(mktemp -d -t rom-netconfd.XXXXXX)}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
target="${NETCONFD_TARGET:-candidate}"
modules="${NETCONFD_MODULES:-ietf-interfaces}"
user="$(id -un)"
sshd_bin="$(command -v sshd || echo /usr/sbin/sshd)"
subsystem="$(command -v netconf-subsystem || echo /usr/sbin/netconf-subsystem)"
netconfd_bin="$(command -v netconfd || echo /usr/sbin/netconfd)"
for bin in "$sshd_bin" "$subsystem" "$netconfd_bin"; do
    [ -x "$bin" ] || { echo "netconfd/start.sh: $bin missing; run scripts/netconfd/install.sh" >&2; exit 1; }
done

port="${NETCONFD_PORT:-}"
if [ -z "$port" ]; then
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
fi

rm -f "$dir/endpoint.env" "$dir/ncxserver.sock"
[ -f "$dir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N "" -f "$dir/ssh_host_ed25519_key"
[ -f "$dir/client_key" ] || ssh-keygen -q -t ed25519 -N "" -C "rom-netconfd-test" -f "$dir/client_key"
cp "$dir/client_key.pub" "$dir/authorized_keys"
chmod 600 "$dir/authorized_keys" "$dir/client_key"

# Harmless stand-ins for the commands netconfd's SIL plugins shell out to (ifconfig up/down,
# hostname, get-interface-ipv4): without them it aborts or reconfigures the host.
mkdir -p "$dir/bin" "$dir/home"
for cmd in ifconfig hostname get-interface-ipv4; do
    printf '#!/bin/sh\n# stand-in: log and do nothing\necho "%s $*" >> "%s/standins.log"\nexit 0\n' \
        "$cmd" "$dir" > "$dir/bin/$cmd"
    chmod 755 "$dir/bin/$cmd"
done

cat > "$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
LogLevel ERROR
Subsystem netconf $subsystem --ncxserver-sockname=$port@$dir/ncxserver.sock
CONF

# sshd refuses to start as root without its privilege separation directory.
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd

pids=()
stop() {
    trap - TERM INT EXIT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f "$dir/endpoint.env" "$dir/ncxserver.sock"
}
trap stop TERM INT EXIT

module_args=()
for m in $modules; do module_args+=("--module=$m"); done
(
    cd "$dir/home"
    exec env PATH="$dir/bin:$PATH" HOME="$dir/home" "$netconfd_bin" \
        --port="$port" --no-startup --target="$target" --superuser="$user" \
        --ncxserver-sockname="$dir/ncxserver.sock" "${module_args[@]}" \
        --log="$dir/netconfd.log" --log-level=warn
) &
pids+=($!)
"$sshd_bin" -D -e -f "$dir/sshd_config" 2>>"$dir/sshd.log" &
pids+=($!)

ready() {
    [ -S "$dir/ncxserver.sock" ] || return 1
    python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
PY
}
for _ in $(seq 1 200); do
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || {
            echo "netconfd/start.sh: a server exited early; see $dir/netconfd.log and $dir/sshd.log" >&2
            exit 1
        }
    done
    if ready; then break; fi
    sleep 0.05
done
ready || { echo "netconfd/start.sh: servers not ready; see $dir/*.log" >&2; exit 1; }

cat > "$dir/endpoint.env.tmp" <<ENV
NETCONFD_HOST=127.0.0.1
NETCONFD_PORT=$port
NETCONFD_USER=$user
NETCONFD_KEY=$dir/client_key
NETCONFD_TARGET=$target
ENV
mv "$dir/endpoint.env.tmp" "$dir/endpoint.env"
echo "netconfd ($target) on 127.0.0.1:$port as $user, key $dir/client_key" >&2
# Wait for either server to exit (then stop the other) or for a signal.
wait -n "${pids[@]}" || true
