#!/usr/bin/env bash
# Installs Debian's `chromium`, the headless browser the report tests (test/report/browser.test.ts)
# and CI open the fleet report in. Only as root, only through apt, at most five minutes; the
# outcome of a failed install is cached in .tmp/ so that it is not retried on every test run
# (delete the file to try again). Prints one line: the browser's path, or why it is missing
# (then exits 1).
set -u
cd "$(dirname "$0")/.."
cache=.tmp/chromium.status
log=.tmp/chromium-install.log

found() { command -v chromium 2>/dev/null; }

if path=$(found); then echo "$path"; exit 0; fi
if [[ -f $cache ]]; then cat "$cache"; exit 1; fi
mkdir -p .tmp
fail() { echo "$1" | tee "$cache"; exit 1; }
[[ $(id -u) == 0 ]] || fail "chromium is missing and this is not root: cannot apt-get install chromium"
command -v apt-get >/dev/null || fail "chromium is missing and there is no apt-get to install it"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent or stale (a fresh machine): refresh them when apt knows no
# candidate for chromium.
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  timeout 120 apt-get update >"$log" 2>&1 || fail "apt-get update failed (exit $?, see $log): $(tail -n 1 "$log")"
fi
timeout 300 apt-get install -y --no-install-recommends chromium >>"$log" 2>&1
status=$?
if [[ $status != 0 ]]; then
  fail "apt-get install -y chromium failed (exit $status, see $log): $(grep -E '^(E|W):' "$log" | tail -n 1)"
fi
path=$(found) || fail "apt-get install chromium succeeded but no chromium is on PATH"
echo "$path"
