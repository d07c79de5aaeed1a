#!/usr/bin/env bash
# The sites that have a stack: devices/<site>/ with stacks/Pulumi.<site>.yaml. One per line.
set -euo pipefail
root="${1:-.}"
for dir in "$root"/devices/*/; do
  site="$(basename "$dir")"
  if [ -f "$root/stacks/Pulumi.$site.yaml" ]; then echo "$site"; fi
done
