#!/usr/bin/env bash
# Pull-request review: validate the fleet files, the config diff against the base commit, a
# preview per site's stack and the comment built from them. Everything lands in OUT_DIR:
#   validate.txt, diff.md (for the job summary), previews/<site>.json, comment.md
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
$cli pr-comment --base "$base" "${previews[@]}" >"$out/comment.md"
exit "${status:-0}"
