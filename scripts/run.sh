#!/usr/bin/env bash
# Runs a command in the project's environment, setting it up first when needed:
# Node.js >= 22 and the Pulumi CLI (scripts/env.sh), npm dependencies (`npm ci`), the build.
# Usage: scripts/run.sh <command> [args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
SHELLY_FLEET_NODE_ONLY=1 source scripts/env.sh

# `npm ci` only when the lockfile changed since the last install (it also builds: `prepare`).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "shelly-fleet: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
# Now the Pulumi CLI, and the dynamic-provider shim from the installed @pulumi/pulumi.
source scripts/env.sh
node_modules/.bin/tsc -p tsconfig.build.json
node dist/fleet/precompile-validators.js
exec "$@"
