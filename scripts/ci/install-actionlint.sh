#!/usr/bin/env bash
# Installs actionlint (the GitHub Actions workflow linter) from the Go module proxy into the
# cache, once, and prints its path. The workflow test uses it.
set -euo pipefail
version=v1.7.12
cache="${SHELLY_FLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shelly-fleet}/actionlint/$version"
if [ ! -x "$cache/actionlint" ]; then
  command -v go >/dev/null || { echo "install-actionlint: needs Go (go install)" >&2; exit 1; }
  GOBIN="$cache" go install "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2
fi
echo "$cache/actionlint"
