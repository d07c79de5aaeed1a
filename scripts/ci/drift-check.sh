#!/usr/bin/env bash
# Scheduled drift check: `preview --expect-no-changes` per site's stack (exit 7: drift), the fleet
# report from those previews and the stacks' states (OUT_DIR/report/, published by the workflow),
# then one GitHub issue per drifted device (scripts/ci/drift-issues.ts). A site whose preview
# fails for another reason is reported and left out, so its open issues stay as they are.
# Usage: scripts/ci/drift-check.sh OUT_DIR [--dry-run]   (from the repository root, env set up)
set -euo pipefail
out="${1:?usage: drift-check.sh OUT_DIR [--dry-run]}"
shift
cli="${SHELLY_FLEET_CLI:-node dist/cli/main.js}"
mkdir -p "$out"
checked=()
failed=0
# The states carry the stacks' encrypted secrets: kept out of OUT_DIR (an artifact), removed after.
states="$(mktemp -d)"
trap 'rm -rf "$states"' EXIT
report_args=()
for site in $(scripts/ci/sites.sh .); do
  code=0
  $cli preview --create --stack "$site" --json --expect-no-changes >"$out/$site.json" || code=$?
  case "$code" in
    0) echo "drift-check: $site: no drift" ;;
    7) echo "drift-check: $site: drift" ;;
    *)
      echo "drift-check: $site: the preview failed (exit $code)" >&2
      failed=1
      continue
      ;;
  esac
  checked+=("$out/$site.json")
  report_args+=(--preview "$out/$site.json")
  if pulumi stack export --stack "$site" --file "$states/$site.json" >/dev/null; then
    report_args+=(--state "$states/$site.json")
  else
    echo "drift-check: $site: no state exported; the report shows no last apply" >&2
  fi
done
if ! $cli report --all --out "$out/report" "${report_args[@]}"; then
  echo "drift-check: the fleet report failed" >&2
  failed=1
fi
run_url="${GITHUB_SERVER_URL:-}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"
if [ "${#checked[@]}" -gt 0 ]; then
  node dist/scripts/ci/drift-issues.js "$@" ${GITHUB_RUN_ID:+--run-url "$run_url"} "${checked[@]}"
fi
exit "$failed"
