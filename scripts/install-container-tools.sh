#!/usr/bin/env bash
# Installs what the local image build needs when it is missing: podman (builds and runs
# images without a daemon) and debootstrap (makes the Debian base from Debian's packages, for
# machines that cannot pull images from a registry). Debian or Ubuntu, as root.
# Usage: install-container-tools.sh     Exits non-zero with one line when it cannot.
set -euo pipefail
missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
# podman runs its containers with runc (scripts/podman-local.sh says why).
command -v runc >/dev/null 2>&1 || missing+=(runc)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "shelly-fleet: missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]}) or run this as root" >&2
  exit 1
fi
echo "shelly-fleet: installing ${missing[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
