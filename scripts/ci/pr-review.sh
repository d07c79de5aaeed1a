#!/usr/bin/env bash
# Pull-request review: validate the fleet files, the config diff against the base commit, a
# preview per site's stack and the comment built from them. Everything lands in OUT_DIR:
#   validate.txt, diff.md (for the job summary), previews/<site>.json, report/ (the fleet
#   report from the previews, linked from the comment when run by GitHub Actions), comment.md
# Usage: scripts/ci/pr-review.sh BASE-REF OUT_DIR   (from the repository root, env set up)
set -euo pipefail
base="${1:?usage: pr-review.sh BASE-REF OUT_DIR}"
out="${2:?usage: pr-review.sh BASE-REF OUT_DIR}"
cli="${SHELLY_FLEET_CLI:-node dist/cli/main.js}"
mkdir -p "$out/previews"

# Invalid files stop here: the diff and the preview would only repeat the errors.
$cli validate | tee "$out/validate.txt"
$cli diff "$base" HEAD --format markdown >"$out/diff.md"

previews=()
for site in $(scripts/ci/sites.sh .); do
  # The document is written even when the preview fails; its diagnostics say why.
  if ! $cli preview --create --stack "$site" --json >"$out/previews/$site.json"; then
    echo "pr-review: the preview of $site failed; see its diagnostics in the comment" >&2
    status=1
  fi
  previews+=(--preview "$out/previews/$site.json")
done
if [ "${#previews[@]}" -eq 0 ]; then
  echo "pr-review: no site has a stack (stacks/Pulumi.<site>.yaml)" >&2
  exit 1
fi
report_url=()
if $cli report --all --out "$out/report" "${previews[@]}"; then
  if [ -n "${GITHUB_RUN_ID:-}" ]; then
    # The workflow uploads report/ as the run's "fleet-report" artifact.
    report_url=(--report-url "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}#artifacts")
  fi
else
  echo "pr-review: the fleet report failed" >&2
  status=1
fi
$cli pr-comment --base "$base" "${report_url[@]}" "${previews[@]}" >"$out/comment.md"
exit "${status:-0}"
