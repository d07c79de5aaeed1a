#!/usr/bin/env bash
# Runs podman for the project's local images: its own storage under the cache (never the
# machine's), and settings that work on hosts where podman's defaults do not:
#   - runc, not crun: crun stops with "cgroups in hybrid mode not supported, drop all
#     controllers from cgroupv2" on a cgroup v1 host with a controller on the v2 hierarchy;
#   - cgroupfs, not systemd, as the cgroup manager (no systemd in such sandboxes);
#   - ulimits no higher than this shell's hard limits: podman's default nofile/nproc raise
#     them, which fails ("setrlimit RLIMIT_NOFILE: Operation not permitted") without
#     CAP_SYS_RESOURCE; nproc at most 4096 (runc was refused even at the hard limit there).
# Usage: podman-local.sh <podman arguments...>
set -euo pipefail
cache="${SHELLY_FLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shelly-fleet}"
conf="$cache/containers/containers.conf"
mkdir -p "$cache/containers"
nofile="$(ulimit -Hn)"
nproc="$(ulimit -Hu)"
[ "$nofile" = unlimited ] && nofile=1048576
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ]; then nproc=4096; fi
text="[containers]
default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]
[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\""
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$text" ]; then
  printf '%s\n' "$text" >"$conf.tmp.$$" && mv "$conf.tmp.$$" "$conf"
fi
export CONTAINERS_CONF="$conf"
exec podman --root "$cache/containers/storage" --runroot "$cache/containers/run" "$@"
