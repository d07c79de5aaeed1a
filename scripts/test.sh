#!/usr/bin/env bash
# Every test: type-check, lint and format check, then unit, integration and e2e tests (vitest).
# Runs inside scripts/run.sh, which has set up Node, Pulumi, the dependencies and the build.
# Arguments go to vitest: `npm run test:fast` passes --exclude 'test/e2e/**' (no real engine).
set -euo pipefail
# Tools by path, not npx: npx puts node_modules/.bin first on PATH, where the `pulumi` npm
# package would shadow the CLI that scripts/env.sh chose.
echo "shelly-fleet: node $(node --version), $(pulumi version 2>/dev/null | sed 's/^/pulumi /')" >&2
echo "shelly-fleet: type-check (tsc --noEmit)" >&2
node_modules/.bin/tsc -p tsconfig.json
echo "shelly-fleet: lint and format check (biome)" >&2
node_modules/.bin/biome check .
node_modules/.bin/vitest run "$@"
