#!/usr/bin/env bash
# Every test: type-check, lint and format check, then unit, integration and e2e tests (vitest).
# Runs inside scripts/run.sh, which has set up Node, Pulumi, the dependencies and the build.
set -euo pipefail
echo "shelly-fleet: node $(node --version), $(pulumi version 2>/dev/null | sed 's/^/pulumi /')" >&2
echo "shelly-fleet: type-check (tsc --noEmit)" >&2
npx --no-install tsc -p tsconfig.json
echo "shelly-fleet: lint and format check (biome)" >&2
npx --no-install biome check .
npx --no-install vitest run "$@"
