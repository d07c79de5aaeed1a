#!/usr/bin/env bash
# Installs the DHCP servers whose syntax checks test `shelly-fleet export`: dnsmasq (`dnsmasq
# --test`), Kea (`kea-dhcp4 -t`) and ISC dhcpd (`dhcpd -t`). Only as root, only through apt, at
# most a minute; the outcome is cached in .tmp/ so that a failed install is not retried on every
# test run (delete the file to try again). Prints one line: "ok", or why the tools are missing.
set -u
cd "$(dirname "$0")/.."
cache=.tmp/syntax-checkers.status
tools=(dnsmasq kea-dhcp4 dhcpd)
packages=(dnsmasq-base kea-dhcp4-server isc-dhcp-server)
export PATH="$PATH:/usr/sbin:/sbin"

all_present() {
  for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || return 1; done
}

if all_present; then echo ok; exit 0; fi
if [[ -f $cache ]]; then cat "$cache"; exit 1; fi
mkdir -p .tmp
fail() { echo "$1" | tee "$cache"; exit 1; }
[[ $(id -u) == 0 ]] || fail "not root: cannot install ${packages[*]} (install them to run the real syntax checks)"
command -v apt-get >/dev/null || fail "no apt-get: cannot install ${packages[*]}"
log=.tmp/syntax-checkers.log
# Packages only: the servers are never started (policy-rc.d refuses), their checks read a file.
policy=/usr/sbin/policy-rc.d
[[ -e $policy ]] || { printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && remove_policy=1; }
DEBIAN_FRONTEND=noninteractive timeout 60 apt-get install -y --no-install-recommends "${packages[@]}" >"$log" 2>&1
status=$?
[[ ${remove_policy:-0} == 1 ]] && rm -f "$policy"
if [[ $status != 0 ]] || ! all_present; then
  fail "apt-get install ${packages[*]} failed (exit $status, see $log)"
fi
echo ok
