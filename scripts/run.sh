#!/usr/bin/env bash
# Runs a command in the project's environment, setting it up first when needed:
# Node.js >= 22 and the Pulumi CLI (scripts/env.sh), npm dependencies (`npm ci`), the build.
# Usage: scripts/run.sh <command> [args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

# `npm ci` only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "shelly-fleet: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  # env.sh copies the dynamic-provider shim beside `pulumi` once @pulumi/pulumi is installed.
  source scripts/env.sh
fi
npx --no-install tsc -p tsconfig.build.json
exec "$@"
