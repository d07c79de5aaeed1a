#!/usr/bin/env bash
# Installs kustomize (for the manifests' tests) from the Go module proxy into the cache, once.
# Usage: install-kustomize.sh     Prints the binary's path on stdout.
set -euo pipefail
version=v5.7.1
cache="${SHELLY_FLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shelly-fleet}"
bin="$cache/go-tools/kustomize-$version"
if [ ! -x "$bin/kustomize" ]; then
  command -v go >/dev/null 2>&1 || { echo "install-kustomize: needs Go (>= 1.24) to build kustomize" >&2; exit 1; }
  echo "install-kustomize: building kustomize $version from the Go module proxy (once)" >&2
  (cd / && GOTOOLCHAIN=local GOBIN="$bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$version" >&2)
fi
echo "$bin/kustomize"
