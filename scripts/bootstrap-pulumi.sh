#!/usr/bin/env bash
# Builds the Pulumi CLI from the Go module proxy into $PULUMI_HOME/versions/<version>/bin, the
# directory the `pulumi` npm package and the Automation API use, for machines that cannot
# download Pulumi's release archives. The wrapper module in tools/pulumi-cli pins the versions.
# Usage: bootstrap-pulumi.sh <bin-dir>
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="$here/tools/pulumi-cli"
version="$(sed -n 's|^\tgithub.com/pulumi/pulumi/pkg/v3 v\([0-9.]*\).*$|\1|p' "$module/go.mod")"

if [ -x "$bin/pulumi" ]; then
  exit 0
fi
# One build at a time: shells that source env.sh together wait for the first build, then use it.
mkdir -p "$(dirname "$bin")"
exec 9>"$bin.lock"
if ! flock -n 9; then
  echo "shelly-fleet: another shell is building the Pulumi CLI; waiting for it" >&2
  flock 9
fi
if [ -x "$bin/pulumi" ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  # Without Go, let the `pulumi` npm package (a dev dependency) download the same release into
  # the same directory; that needs access to Pulumi's download site.
  downloader="$here/node_modules/pulumi/run.js"
  if [ -f "$downloader" ] && PULUMI_VERSION="$version" node "$downloader" version >/dev/null; then
    exit 0
  fi
  cat >&2 <<MSG
shelly-fleet: the Pulumi CLI is not installed, Go is not available to build it, and it could not
  be downloaded. Either install Pulumi (https://www.pulumi.com/docs/install/) and put it on PATH,
  or install Go >= 1.26 so that this script can build Pulumi $version from the Go module proxy.
MSG
  exit 1
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
started=$(date +%s)
step() { echo "shelly-fleet: [pulumi $version, $(( $(date +%s) - started ))s] $*" >&2; }

step "building the Pulumi CLI from the Go module proxy (first time only: expect 5-15 minutes on 2 cores)"
step "downloading Go modules"
(cd "$module" && go mod download)
tmp="$bin.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
# Same flags as Pulumi's release build; the -X stamp is what `pulumi version` prints and
# what the Automation API checks.
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version"
step "compiling pulumi"
(cd "$module" && go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$tmp/pulumi" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
"$tmp/pulumi" version >/dev/null
mkdir -p "$(dirname "$bin")"
rm -rf "$bin"
mv "$tmp" "$bin"
trap - EXIT
step "done: $bin/pulumi"
