# shellcheck shell=bash
# Source this file: `source scripts/env.sh`. It installs what is missing (Node.js >= 22 into a
# cache outside the repository; the Pulumi CLI, built from the Go module proxy when no `pulumi`
# is on PATH) and puts them first on PATH, with offline defaults for local stacks. Anything
# already set in the environment, or a Node 22+ / Pulumi install of your own, is left alone.

SHELLY_FLEET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
SHELLY_FLEET_CACHE="${SHELLY_FLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shelly-fleet}"
SHELLY_FLEET_NODE_VERSION=24.21.0
SHELLY_FLEET_PULUMI_VERSION="$(sed -n 's|^\tgithub.com/pulumi/pulumi/pkg/v3 v\([0-9.]*\).*$|\1|p' \
  "$SHELLY_FLEET_ROOT/tools/pulumi-cli/go.mod")"
export SHELLY_FLEET_ROOT SHELLY_FLEET_CACHE SHELLY_FLEET_NODE_VERSION SHELLY_FLEET_PULUMI_VERSION

# The Go module proxy does not serve Pulumi's nodejs language host, so a `pulumi` built here has
# none and plain `pulumi preview` cannot run a program. Install ours (tools/language-host) beside
# it, unless a language host is already there or on PATH: an official install keeps its own.
# A shim installed earlier by this function is refreshed when the template changes.
_shelly_fleet_language_host() {
  local dir="$1" target="$1/pulumi-language-nodejs" found text
  local template="$SHELLY_FLEET_ROOT/tools/language-host/pulumi-language-nodejs"
  found="$(command -v pulumi-language-nodejs 2>/dev/null || true)"
  if [ -n "$found" ] && [ "$found" != "$target" ]; then return 0; fi
  if [ -e "$target" ] && ! grep -q "as installed by shelly-fleet's" "$target"; then return 0; fi
  text="$(sed -e "s|@SHELLY_FLEET_ROOT@|'$SHELLY_FLEET_ROOT'|" -e "s|@SHELLY_FLEET_NODE@|'$(command -v node)'|" "$template")"
  if [ ! -e "$target" ] || [ "$text" != "$(cat "$target")" ]; then
    printf '%s\n' "$text" >"$target.tmp.$$" && chmod +x "$target.tmp.$$" && mv "$target.tmp.$$" "$target"
  fi
}

_shelly_fleet_env() {
  local node_major bin pulumi_bin found
  # Node.js: the project needs >= 22 (Pulumi's SDK, vitest, undici); machines here ship 20.
  node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$node_major" -lt 22 ]; then
    bin="$("$SHELLY_FLEET_ROOT/scripts/bootstrap-node.sh" "$SHELLY_FLEET_NODE_VERSION" "$SHELLY_FLEET_CACHE")" || {
      echo "shelly-fleet: could not install Node.js $SHELLY_FLEET_NODE_VERSION (see the messages above)" >&2
      return 1
    }
    case ":$PATH:" in *":$bin:"*) ;; *) PATH="$bin:$PATH" ;; esac
  fi

  # Pulumi: use one already on PATH, unless it is the npm package's lazy downloader.
  # (scripts/run.sh asks for Node alone first, so that `npm ci` can run before this step.)
  if [ "${SHELLY_FLEET_NODE_ONLY:-}" = 1 ]; then
    export PATH
    return 0
  fi
  found="$(command -v pulumi 2>/dev/null || true)"
  case "$found" in
    "" | */node_modules/.bin/pulumi)
      pulumi_bin="${PULUMI_HOME:-$HOME/.pulumi}/versions/$SHELLY_FLEET_PULUMI_VERSION/bin"
      "$SHELLY_FLEET_ROOT/scripts/bootstrap-pulumi.sh" "$pulumi_bin" || {
        echo "shelly-fleet: the Pulumi CLI is not available (see the messages above)" >&2
        return 1
      }
      # The dynamic-provider plugin is a small sh shim that @pulumi/pulumi ships; the engine
      # looks for it beside `pulumi`.
      local shim="$SHELLY_FLEET_ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
      if [ ! -x "$pulumi_bin/pulumi-resource-pulumi-nodejs" ] && [ -f "$shim" ]; then
        cp "$shim" "$pulumi_bin/" && chmod +x "$pulumi_bin/pulumi-resource-pulumi-nodejs"
      fi
      _shelly_fleet_language_host "$pulumi_bin"
      case ":$PATH:" in *":$pulumi_bin:"*) ;; *) PATH="$pulumi_bin:$PATH" ;; esac
      # Where node_modules/.bin comes first (npx), the `pulumi` npm package runs this same build.
      export PULUMI_VERSION="${PULUMI_VERSION:-$SHELLY_FLEET_PULUMI_VERSION}"
      ;;
  esac
  export PATH

  # Offline defaults for local stacks; each only when not already set.
  if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    mkdir -p "$SHELLY_FLEET_ROOT/.pulumi-state"
    export PULUMI_BACKEND_URL="file://$SHELLY_FLEET_ROOT/.pulumi-state"
  fi
  if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    # Documented in the README: protects only the local demo and test stacks. Set your own for real sites.
    export PULUMI_CONFIG_PASSPHRASE=shelly-fleet-local
  fi
  export PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"
  # A device that fails or cannot be reached must not stop the others (plain `pulumi up` too).
  export PULUMI_CONTINUE_ON_ERROR="${PULUMI_CONTINUE_ON_ERROR:-true}"
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-true}"
}

_shelly_fleet_env
_shelly_fleet_env_status=$?
unset -f _shelly_fleet_env _shelly_fleet_language_host
# `return` when sourced, `exit` when run as a script.
return "$_shelly_fleet_env_status" 2>/dev/null || exit "$_shelly_fleet_env_status"
