#!/usr/bin/env bash
# Builds the shelly-fleet image without a registry: the base is Debian bookworm made with
# debootstrap from Debian's packages (cached), the rest is this checkout as built here, Node.js
# from the project's bootstrap and the Pulumi CLI on PATH. deploy/Containerfile is the same image
# for users who can pull node:24-bookworm-slim; deploy/Containerfile.local is this one's recipe.
# Run from a built checkout (npm run build), in the project's environment, as root (debootstrap).
# Usage: build-image-local.sh [TAG]          default TAG: localhost/shelly-fleet:local
# Env:   SHELLY_FLEET_DEBIAN_MIRROR          the Debian mirror for debootstrap (default: apt's)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${1:-localhost/shelly-fleet:local}"
cache="${SHELLY_FLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shelly-fleet}"
podman=("$here/scripts/podman-local.sh")
base=localhost/shelly-fleet-base:bookworm
say() { echo "build-image-local: $*" >&2; }

bash "$here/scripts/install-container-tools.sh"
for need in "$here/dist/cli/main.js" "$here/dist/tools/language-host/main.js"; do
  [ -f "$need" ] || { say "$need is missing: run npm run build first"; exit 1; }
done
node="$(command -v node)"
pulumi="$(command -v pulumi)" || { say "no pulumi on PATH: source scripts/env.sh first"; exit 1; }

# 1. The base: a minimal Debian with the image's user (uid 10001), made once and cached.
mirror() {
  if [ -n "${SHELLY_FLEET_DEBIAN_MIRROR:-}" ]; then echo "$SHELLY_FLEET_DEBIAN_MIRROR"; return; fi
  sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 ||
    true
  sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -1 || true
}
if ! "${podman[@]}" image exists "$base"; then
  tarball="$cache/image/base-bookworm.tar"
  if [ ! -f "$tarball" ]; then
    url="$(mirror | head -1)"
    [ -n "$url" ] || { say "no Debian mirror in apt's sources: set SHELLY_FLEET_DEBIAN_MIRROR"; exit 1; }
    say "making the Debian base with debootstrap (once; about a minute)"
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase bookworm "$root/fs" "$url" >"$root/debootstrap.log" 2>&1 ||
      { tail -20 "$root/debootstrap.log" >&2; exit 1; }
    # What a container never reads: docs, manuals, locales, apt's package lists and caches.
    rm -rf "$root"/fs/usr/share/{doc,man,info,locale}/* "$root"/fs/var/lib/apt/lists/* \
      "$root"/fs/var/cache/apt/* "$root"/fs/var/log/*
    echo 'shelly:x:10001:10001:shelly-fleet:/var/lib/shelly-fleet:/usr/sbin/nologin' >>"$root/fs/etc/passwd"
    echo 'shelly:x:10001:' >>"$root/fs/etc/group"
    mkdir -p "$root/fs/var/lib/shelly-fleet" "$(dirname "$tarball")"
    chown 10001:10001 "$root/fs/var/lib/shelly-fleet"
    tar -C "$root/fs" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
    trap - EXIT
  fi
  "${podman[@]}" import --change 'CMD ["/bin/sh"]' "$tarball" "$base" >/dev/null
fi

# 2. The context: the built project with its production dependencies only, Node, Pulumi.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/app" "$stage/node" "$stage/pulumi"
(cd "$here" && cp -a package.json package-lock.json Pulumi.yaml bin dist devices profiles stacks schema \
  "$stage/app/")
rm -f "$stage/app/dist/.tsbuildinfo"
say "installing the production dependencies (npm ci --omit=dev)"
(cd "$stage/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
cp "$node" "$stage/node/node"
cp "$pulumi" "$stage/pulumi/pulumi"
cp "$here/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$stage/pulumi/"
# The project's nodejs language host (the Go module proxy does not serve Pulumi's), for /app.
sed -e "s|@SHELLY_FLEET_ROOT@|'/app'|" -e "s|@SHELLY_FLEET_NODE@|'/usr/local/bin/node'|" \
  "$here/tools/language-host/pulumi-language-nodejs" >"$stage/pulumi/pulumi-language-nodejs"
chmod 0755 "$stage"/pulumi/* "$stage/node/node"
chmod -R a+rX,go-w "$stage/app"

# 3. The image.
"${podman[@]}" build --network host --pull=never -f "$here/deploy/Containerfile.local" --build-arg "BASE=$base" \
  -t "$tag" "$stage" >&2
"${podman[@]}" image inspect --format '{{.Size}}' "$tag"
